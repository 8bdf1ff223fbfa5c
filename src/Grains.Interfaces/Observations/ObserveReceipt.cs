namespace Mdl.Observations;

/// <summary>The durable acknowledgement of a batch of observations.</summary>
/// <param name="Accepted">Observations processed for the first time.</param>
/// <param name="Duplicates">Observations whose id had already been processed, and so were ignored.</param>
[GenerateSerializer, Immutable, Alias("mdl.ObserveReceipt")]
public sealed record ObserveReceipt([property: Id(0)] int Accepted, [property: Id(1)] int Duplicates)
{
    /// <summary>Nothing accepted, nothing duplicated.</summary>
    public static ObserveReceipt None { get; } = new(0, 0);

    /// <summary>Adds two receipts.</summary>
    public static ObserveReceipt operator +(ObserveReceipt a, ObserveReceipt b) =>
        new(a.Accepted + b.Accepted, a.Duplicates + b.Duplicates);
}
