using System.Net.Mail;

namespace TunnelActors.Access.Login;

/// <summary>Delivers one-time PINs.</summary>
public interface IPinSender
{
    Task SendAsync(string email, string pin, string application, CancellationToken cancellationToken);
}

/// <summary>Dev sender (the embedded default): writes the PIN to the edge log for whoever runs the edge.</summary>
public sealed class LogPinSender(Action<string> log) : IPinSender
{
    public Task SendAsync(string email, string pin, string application, CancellationToken cancellationToken)
    {
        log($"One-time PIN for {email} to sign in to {application}: {pin} (dev PIN sender; configure SMTP for real use)");
        return Task.CompletedTask;
    }
}

/// <summary>Sends the PIN by email through an SMTP relay.</summary>
public sealed class SmtpPinSender(string host, int port, string from) : IPinSender
{
    public async Task SendAsync(string email, string pin, string application, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient(host, port) { EnableSsl = port != 25 };
        using var message = new MailMessage(from, email, $"Your sign-in code for {application}",
            $"Your one-time code is {pin}. It expires in 10 minutes. If you did not ask for it, ignore this message.");
        await client.SendMailAsync(message, cancellationToken);
    }
}
