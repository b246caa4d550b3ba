using System.Reflection;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TunnelActors.Edge.Hosting;

namespace TunnelActors.Edge.Tests;

/// <summary>
/// Every message that crosses edge nodes (heartbeats, picks, operator queries, revocations)
/// must survive the serializer the edge really binds to <see cref="IClusterMessage"/>: the
/// actor system here is configured by the edge's own <see cref="EdgeHost.WithClusterSerialization"/>,
/// and the messages are every <see cref="IClusterMessage"/> type in the edge, found by
/// reflection — a new message cannot be forgotten, and a field the serializer dropped would
/// otherwise fail only once a second node joined.
/// </summary>
public sealed class ClusterMessageSerializationTests : IAsyncLifetime
{
    private IHost _host = null!;
    private ActorSystem _system = null!;
    private IActorRef _actor = null!;

    public static TheoryData<string> MessageTypes => new(typeof(IClusterMessage).Assembly.GetTypes()
        .Where(t => typeof(IClusterMessage).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
        .Select(t => t.FullName!).Order());

    public async Task InitializeAsync()
    {
        _host = new HostBuilder().ConfigureServices(services => services.AddAkka("serialization-test", akka => akka.WithClusterSerialization())).Build();
        await _host.StartAsync();
        _system = _host.Services.GetRequiredService<ActorSystem>();
        _actor = _system.ActorOf(Props.Empty, "probe");
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Fact]
    public void Reflection_FindsTheMessagesOfEveryClusterProtocol() =>
        Assert.True(MessageTypes.Count >= 20, $"only {MessageTypes.Count} cluster message types found");

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Message_RoundTripsThroughTheEdgesSerializer_WithEveryField(string typeName)
    {
        var type = typeof(IClusterMessage).Assembly.GetType(typeName)!;
        var message = Sample(type);
        var serializer = _system.Serialization.FindSerializerFor(message);

        var bytes = serializer.ToBinary(message);
        var copy = serializer.FromBinary(bytes, type);

        Assert.Equal("HyperionSerializer", serializer.GetType().Name);
        Assert.IsType(type, copy);
        Assert.Equal(bytes, serializer.ToBinary(copy)); // nothing lost: the copy serialises to the same bytes
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            Assert.True(property.GetValue(copy) is not null || property.GetValue(message) is null, $"{type.Name}.{property.Name} was dropped");
    }

    /// <summary>An instance with every constructor parameter set to a non-default value.</summary>
    private object Sample(Type type)
    {
        if (type == typeof(string)) return "sample";
        if (type == typeof(int)) return 7;
        if (type == typeof(uint)) return 7u;
        if (type == typeof(long)) return 7L;
        if (type == typeof(double)) return 7.5;
        if (type == typeof(bool)) return true;
        if (type == typeof(DateTime)) return new DateTime(2026, 12, 2, 5, 0, 0, DateTimeKind.Utc);
        if (type == typeof(DateTimeOffset)) return new DateTimeOffset(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);
        if (type == typeof(TimeSpan)) return TimeSpan.FromSeconds(7);
        if (typeof(IActorRef).IsAssignableFrom(type)) return _actor;
        if (type.IsEnum) return Enum.GetValues(type).GetValue(Enum.GetValues(type).Length - 1)!;
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Sample(underlying);
        if (type.IsGenericType && type.GetGenericArguments() is [var element]
            && (type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) || type.GetGenericTypeDefinition() == typeof(List<>) || type.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
        {
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            list.Add(Sample(element));
            return list;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlySet<>))
        {
            var set = Activator.CreateInstance(typeof(HashSet<>).MakeGenericType(type.GetGenericArguments()[0]))!;
            set.GetType().GetMethod("Add")!.Invoke(set, [Sample(type.GetGenericArguments()[0])]);
            return set;
        }
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new InvalidOperationException($"{type.Name} has no public constructor to build a sample with");
        return constructor.Invoke(constructor.GetParameters().Select(p => Sample(p.ParameterType)).ToArray());
    }
}
