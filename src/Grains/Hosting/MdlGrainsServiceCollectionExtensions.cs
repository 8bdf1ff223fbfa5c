using Mdl.Decisions;
using Mdl.Functions;
using Mdl.Goals;
using Mdl.Scenarios.Engagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mdl.Hosting;

/// <summary>Registers the decision loop's services in a silo.</summary>
public static class MdlGrainsServiceCollectionExtensions
{
    /// <summary>Adds the loop's services, the scoring policy and the built-in functions.</summary>
    public static IServiceCollection AddMdlGrains(this IServiceCollection services, Action<GoalEngineOptions>? configure = null)
    {
        services.AddOptions<GoalEngineOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionStatsBook>();
        services.TryAddSingleton<FunctionStatsShipper>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<FunctionStatsShipper>());
        services.AddOptions<FunctionResilienceOptions>();
        services.TryAddSingleton<FunctionResilience>();
        services.TryAddSingleton<FunctionCatalog>();
        services.TryAddSingleton<FunctionGrains>();
        services.TryAdd(ServiceDescriptor.Singleton(typeof(GrainReferences<>), typeof(GrainReferences<>)));
        services.TryAddSingleton<IFunctionDirectory>(sp => sp.GetRequiredService<FunctionCatalog>());
        services.TryAddSingleton<DecisionPolicies>();
        services.TryAddSingleton<GoalWakeUps>();
        services.AddOptions<GoalRecoveryOptions>();
        services.TryAddSingleton<GoalRecovery>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<GoalRecovery>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingGrainCallFilter, FunctionGrantFilter>());
        services.AddMdlFunction<RecommendItemsFunction>();
        services.AddMdlFunction<NotifyPushFunction>();
        return services;
    }

    /// <summary>Offers <typeparamref name="TFunction"/> to goals, under its descriptor's name.</summary>
    public static IServiceCollection AddMdlFunction<TFunction>(this IServiceCollection services)
        where TFunction : class, IAgentFunction
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentFunction, TFunction>());
        return services;
    }

    /// <summary>Adds a decision policy goals can name in <c>policy.name</c>, or that serves goals of the kind it is named after.</summary>
    public static IServiceCollection AddMdlPolicy<TPolicy>(this IServiceCollection services)
        where TPolicy : class, IDecisionPolicy
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDecisionPolicy, TPolicy>());
        return services;
    }
}
