namespace TunnelActors.Transport.Channels;

/// <summary>
/// A byte channel over an input and an output stream: standard input and output for ssh's
/// ProxyCommand. Half-close closes the output (the other end reads end of file).
/// </summary>
public sealed class StreamPairChannel(Stream input, Stream output) : IByteChannel, IDisposable
{
    public static StreamPairChannel StandardInputOutput() => new(Console.OpenStandardInput(), Console.OpenStandardOutput());

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        await input.ReadAsync(buffer, cancellationToken);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await output.WriteAsync(data, cancellationToken);
        await output.FlushAsync(cancellationToken); // the reader waits for these bytes: nothing may linger in a buffer
    }

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        output.Dispose();
        return ValueTask.CompletedTask;
    }

    public void Abort(Exception reason) => Dispose();

    public void Dispose()
    {
        input.Dispose();
        output.Dispose();
    }
}
