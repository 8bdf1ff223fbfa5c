namespace Mdl.Bench.Baseline;

/// <summary>The baseline's second hop: a stateless worker, like a function grain.</summary>
[Alias("bench.IBaselineWorkerGrain")]
public interface IBaselineWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Returns <paramref name="value"/> + 1.</summary>
    [Alias("Work")]
    Task<int> WorkAsync(int value);
}
