using System.CommandLine;
using System.Net;
using TunnelActors.Access.Policies;

namespace TunnelActors.Cli.Commands;

/// <summary>`tunnelactors access policy test`: which policy decides for a given identity, and why.</summary>
public static class PolicyCommand
{
    public static Command Create()
    {
        var policy = new Command("policy", "Inspect Access policies");
        policy.Subcommands.Add(CreateTest());
        return policy;
    }

    private static Command CreateTest()
    {
        var app = new Option<string>("--app") { Description = "Application hostname, e.g. smb.site.com", Required = true };
        var email = new Option<string?>("--email") { Description = "The user's email" };
        var groups = new Option<string[]>("--group") { Description = "An IdP group of the user; repeat for several", AllowMultipleArgumentsPerToken = true };
        var ip = new Option<string>("--ip") { Description = "Source address", DefaultValueFactory = _ => "127.0.0.1" };
        var method = new Option<string>("--login-method") { Description = "How the user signed in (otp, oidc)", DefaultValueFactory = _ => "otp" };
        var token = new Option<string?>("--service-token") { Description = "Test a service token's client id instead of a user" };
        var config = new Option<string?>("--config") { Description = "Edge configuration (YAML); default: the embedded dev policies" };
        var command = new Command("test", "Show which policy decides for an identity and why. Exit code 0 = allowed, 1 = denied")
        {
            app, email, groups, ip, method, token, config,
        };
        command.SetAction(result =>
        {
            var path = result.GetValue(config);
            var applications = path is null
                ? AccessConfig.Parse(AccessConfig.EmbeddedDefault, "embedded default")
                : AccessConfig.Parse(File.ReadAllText(path), path);
            var hostname = result.GetValue(app)!.ToLowerInvariant();
            var application = PolicyEvaluator.Find(applications, hostname);
            if (application is null)
            {
                Console.WriteLine($"DENY: no application covers {hostname} (default deny)");
                return 1;
            }
            if (!IPAddress.TryParse(result.GetValue(ip), out var address)) throw new ArgumentException($"--ip '{result.GetValue(ip)}' is not an IP address");
            var request = result.GetValue(token) is { } tokenId
                ? new AccessRequest(address, ServiceTokenId: tokenId)
                : new AccessRequest(address, result.GetValue(email)?.ToLowerInvariant(), (result.GetValue(groups) ?? []).ToHashSet(), result.GetValue(method));

            Console.WriteLine($"application: {application.Name} ({application.Domain}), session {application.SessionDuration}");
            foreach (var (p, outcome) in PolicyEvaluator.Explain(application, request))
                Console.WriteLine($"  {p.Action,-11} {p.Name}: {outcome}");
            var decision = PolicyEvaluator.Decide(application, request);
            Console.WriteLine(decision);
            return decision.Allowed ? 0 : 1;
        });
        return command;
    }
}
