using Akka.Actor;
using Akka.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

/// <summary>
/// A mux session whose peer sends the fuzzer's bytes: frames are dispatched, streams opened,
/// read and reset as they would be on a real connection. The session must end (the carrier ends
/// after the input) with no error or with the protocol error that names the cause; any other
/// exception, or a session that never ends, is a crash.
/// </summary>
internal static class MuxTarget
{
    // Created on first use, inside the fuzzing loop (SharpFuzz requires nothing instrumented to run before it).
    private static ActorSystem? _system;
    private static IMaterializer? _materializer;

    public static void Run(Stream input)
    {
        var bytes = Targets.ReadAll(input);
        _system ??= ActorSystem.Create("fuzz", "akka.loglevel = OFF\nakka.stdout-loglevel = OFF");
        _materializer ??= _system.Materializer();
        var handler = new DrainingHandler();
        var session = new MuxConnection("fuzz", MuxOptions.Default with { StreamWindow = 64 * 1024 }, handler);
        session.Start(new InputCarrier(bytes), _materializer);
        try
        {
            if (!session.Completion.Wait(TimeSpan.FromSeconds(5))) throw new TimeoutException("the session did not end after its carrier did");
        }
        catch (AggregateException e) when (e.InnerException is ProtocolException or IOException or StreamResetException) { }
        foreach (var reader in handler.Readers)
            if (!reader.Wait(TimeSpan.FromSeconds(5))) throw new TimeoutException("a stream's reader was never released");
    }

    private sealed class DrainingHandler : IMuxHandler
    {
        public List<Task> Readers { get; } = new();

        public void OnStreamOpened(MuxStream stream)
        {
            lock (Readers) Readers.Add(ReadToEndAsync(stream));
        }

        public void OnControlFrame(Frame frame) { }

        public void OnStreamError(uint streamId, ProtocolException error, int suppressed) { }

        private static async Task ReadToEndAsync(MuxStream stream)
        {
            var buffer = new byte[4096];
            try { while (await stream.ReadAsync(buffer, CancellationToken.None) > 0) { } }
            catch (StreamResetException) { }
        }
    }

    /// <summary>Delivers the input in reads of uneven sizes, then end of stream; takes every write.</summary>
    private sealed class InputCarrier(byte[] input) : IByteChannel
    {
        private int _offset;

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (_offset >= input.Length) return ValueTask.FromResult(0);
            var n = Math.Min(Math.Min(buffer.Length, input.Length - _offset), 1 + input[_offset] % 509);
            input.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            return ValueTask.FromResult(n);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CompleteWritesAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Abort(Exception reason) { }
    }
}
