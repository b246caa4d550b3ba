using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Login;

namespace TunnelActors.Edge.Access;

/// <summary>
/// Sends one-time PINs in the background, so the PIN form answers an address that may sign in
/// (mail sent) as fast as one that may not (nothing sent): its timing reveals nothing. Bounded:
/// when <see cref="Capacity"/> PINs wait for the mail relay, new ones are dropped with a log line.
/// </summary>
public sealed class PinOutbox(IPinSender sender, ILogger<PinOutbox> log) : BackgroundService
{
    public const int Capacity = 1000;

    private sealed record Message(string Email, string Pin, string Hostname);

    private readonly Channel<Message> _queue = Channel.CreateBounded<Message>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    public void Enqueue(string email, string pin, string hostname)
    {
        if (!_queue.Writer.TryWrite(new Message(email, pin, hostname)))
            log.LogWarning("PIN for {Email} to {Hostname} dropped: {Capacity} PINs already wait for the mail relay", email, hostname, Capacity);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await sender.SendAsync(message.Email, message.Pin, message.Hostname, timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                log.LogError("Sending the PIN for {Email} to {Hostname} failed: {Reason}", message.Email, message.Hostname, e.GetBaseException().Message);
            }
        }
    }
}
