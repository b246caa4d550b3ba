// The end-to-end suite runs real Linux processes (smbd, signals): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
