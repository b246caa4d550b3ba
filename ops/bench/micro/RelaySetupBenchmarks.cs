using Akka.Actor;
using Akka.Streams;
using BenchmarkDotNet.Attributes;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Bench;

/// <summary>
/// What a new stream pays to set up its relay, apart from any socket: materialize its graph (both directions) on the
/// process's materializer, carry one byte each way, complete. Every stream pays it in each of the three
/// processes (access client, edge, connector).
/// </summary>
[MemoryDiagnoser]
public class RelaySetupBenchmarks
{
    private ActorSystem _system = null!;
    private IMaterializer _shared = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        _shared = _system.Materializer();
    }

    [GlobalCleanup]
    public void Cleanup() => _system.Terminate().Wait();

    [Benchmark]
    public Task<RelayResult> Relay() => ByteRelay.Run(new OneByteChannel(), new OneByteChannel(), _shared).Completion;

    /// <summary>Reads one byte, then the end; takes every write.</summary>
    private sealed class OneByteChannel : IByteChannel
    {
        private int _reads;

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_reads++ > 0) return ValueTask.FromResult(0);
            buffer.Span[0] = 42;
            return ValueTask.FromResult(1);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask CompleteWritesAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public void Abort(Exception reason) { }
    }
}
