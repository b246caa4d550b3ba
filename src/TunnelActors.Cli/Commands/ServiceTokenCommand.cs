using System.CommandLine;
using System.Text.Json;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `tunnelactors access service-token create|list|rotate|revoke`: credentials for jobs (a
/// backup, a monitor) through the admin API. The secret is printed once, by create and rotate.
/// </summary>
public static class ServiceTokenCommand
{
    public static Command Create()
    {
        var command = new Command("service-token", "Create, list, rotate and revoke service tokens (admin API)");
        command.Subcommands.Add(CreateCreate());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateRotate());
        command.Subcommands.Add(CreateRevoke());
        return command;
    }

    private static Command CreateCreate()
    {
        var name = new Option<string>("--name") { Description = "What the token is for, e.g. backup (shown in the audit log)", Required = true };
        var duration = new Option<string?>("--duration") { Description = "Lifetime, e.g. 8760h (default: until revoked)" };
        var admin = new AdminClient();
        var command = admin.AddTo(new Command("create", "Create a service token; prints its id and secret (the secret only this once)") { name, duration });
        command.SetAction(async (result, cancellationToken) =>
        {
            using var http = admin.Create(result);
            var created = await AdminClient.SendAsync(http, HttpMethod.Post, "/api/service-tokens",
                new { name = result.GetValue(name), duration = result.GetValue(duration) }, cancellationToken);
            Console.WriteLine($"client_id: {created.GetProperty("client_id").GetString()}");
            Console.WriteLine($"client_secret: {created.GetProperty("client_secret").GetString()}");
            Console.WriteLine($"expires_at: {Expiry(created.GetProperty("expires_at"))}");
            Console.Error.WriteLine("Store the secret now (0600): it is not shown again. Clients send it with --service-token-secret-file.");
            return 0;
        });
        return command;
    }

    private static Command CreateList()
    {
        var admin = new AdminClient();
        var command = admin.AddTo(new Command("list", "List service tokens (never their secrets)"));
        command.SetAction(async (result, cancellationToken) =>
        {
            using var http = admin.Create(result);
            var listed = await AdminClient.SendAsync(http, HttpMethod.Get, "/api/service-tokens", null, cancellationToken);
            Console.WriteLine($"{"CLIENT ID",-44} {"NAME",-20} {"EXPIRES",-22} {"LAST USED",-22} STATE");
            foreach (var t in listed.GetProperty("service_tokens").EnumerateArray())
                Console.WriteLine($"{t.GetProperty("clientId").GetString(),-44} {t.GetProperty("name").GetString(),-20} {Expiry(t.GetProperty("expiresAt")),-22} " +
                    $"{Expiry(t.GetProperty("lastUsedAt"), "never"),-22} {(t.GetProperty("revoked").GetBoolean() ? "revoked" : "active")}");
            return 0;
        });
        return command;
    }

    private static Command CreateRotate()
    {
        var id = new Argument<string>("client-id") { Description = "The token's client id" };
        var overlap = new Option<string>("--overlap") { Description = "How long the old secret keeps working, e.g. 1h (0s: at once)", DefaultValueFactory = _ => "24h" };
        var admin = new AdminClient();
        var command = admin.AddTo(new Command("rotate", "Give a service token a new secret; the old one stays valid for --overlap") { id, overlap });
        command.SetAction(async (result, cancellationToken) =>
        {
            using var http = admin.Create(result);
            var rotated = await AdminClient.SendAsync(http, HttpMethod.Post,
                $"/api/service-tokens/{Uri.EscapeDataString(result.GetValue(id)!)}/rotate?overlap={Uri.EscapeDataString(result.GetValue(overlap)!)}", null, cancellationToken);
            Console.WriteLine($"client_id: {rotated.GetProperty("client_id").GetString()}");
            Console.WriteLine($"client_secret: {rotated.GetProperty("client_secret").GetString()}");
            Console.WriteLine($"previous secret valid until: {Expiry(rotated.GetProperty("previous_secret_valid_until"))}");
            return 0;
        });
        return command;
    }

    private static Command CreateRevoke()
    {
        var id = new Argument<string>("client-id") { Description = "The token's client id" };
        var reason = new Option<string>("--reason") { Description = "Why, for the audit log", DefaultValueFactory = _ => "revoked by an operator" };
        var admin = new AdminClient();
        var command = admin.AddTo(new Command("revoke", "Revoke a service token: refused at once, and its live streams end, on every edge") { id, reason });
        command.SetAction(async (result, cancellationToken) =>
        {
            using var http = admin.Create(result);
            await AdminClient.SendAsync(http, HttpMethod.Post,
                $"/api/service-tokens/{Uri.EscapeDataString(result.GetValue(id)!)}/revoke?reason={Uri.EscapeDataString(result.GetValue(reason)!)}", null, cancellationToken);
            Console.WriteLine($"Service token {result.GetValue(id)} revoked; its live streams are ending.");
            return 0;
        });
        return command;
    }

    private static string Expiry(JsonElement value, string none = "never") =>
        value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset().ToString("u") : none;
}
