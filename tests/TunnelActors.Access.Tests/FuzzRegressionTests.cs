using TunnelActors.Access.Policies;

namespace TunnelActors.Access.Tests;

/// <summary>
/// Inputs ops/fuzz (SharpFuzz + AFL++) found that escaped the configuration readers as
/// something other than a configuration error — which in the edge's reload timer would have
/// taken the process down. Each must now be a line-numbered AccessConfigException.
/// </summary>
public sealed class FuzzRegressionTests
{
    [Theory]
    [InlineData(" :\0Z")]                                          // YamlDotNet: "The current event is of an unsupported type"
    [InlineData("::\n{@%:\n\n\n4{")]                               // YamlDotNet: InvalidOperationException from the scanner
    [InlineData("!!'AU:WUUUUUUUUKUCUUUU]")]                        // YamlDotNet: "Global tags must be valid URIs"
    [InlineData("...\0..\u001b&aI\0\u00ffl\u007fu\u001a\u0010onnEtth")] // YamlDotNet: "The scanner should contain no more tokens"
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - name: p\n        decision: allow\n        include:\n          - \n")] // an empty rule item
    [InlineData("applications:\n  - \n")]                          // an empty application item
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - \n")] // an empty policy item
    [InlineData("zones:\n  - \n")]
    public void MalformedConfiguration_IsAConfigurationError(string yaml)
    {
        var error = Record.Exception(() =>
        {
            AccessConfig.Parse(yaml, "edge.yaml");
            AccessConfig.ParseZones(yaml, "edge.yaml");
        });

        Assert.IsType<AccessConfigException>(error);
        Assert.StartsWith("edge.yaml", error.Message);
    }
}
