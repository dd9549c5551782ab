"""The value bridge (src/PwshCompat.Host ToPython/FromPython and pwshcompat.bridge): what a
command receives for each PowerShell value, per the shared contract, checked by a round trip."""

from __future__ import annotations

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
function Trip($v) { , [PwshCompat.Host.CommandBridge]::RoundTrip($v) }
$r = [ordered]@{}
$r.string = Trip 'héllo'
$r.int = (Trip 42).GetType().Name
$r.long = Trip 8589934592
$r.double = Trip 1.5
$r.bool = Trip $true
$r.switch = Trip ([switch]$true)
$r.timespan = (Trip ([timespan]'01:30:00')).TotalMinutes
$r.secure = Trip (ConvertTo-SecureString 's3cret' -AsPlainText -Force)
$r.credential = Trip ([pscredential]::new('app-id', (ConvertTo-SecureString 'pw' -AsPlainText -Force)))
$rsa = [System.Security.Cryptography.RSA]::Create(2048)
$req = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=pwshcompat-test', $rsa, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
$cert = $req.CreateSelfSigned([datetimeoffset]::Now, [datetimeoffset]::Now.AddDays(1))
$c = Trip $cert
$pfx = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([Convert]::FromBase64String($c.Pkcs12), [string]$null)
$r.certificate = [ordered]@{ thumbprint = $c.Thumbprint -eq $cert.Thumbprint; subject = $c.Subject; pfxHasKey = $pfx.HasPrivateKey; pfxSame = $pfx.Thumbprint -eq $cert.Thumbprint }
$r.publicOnly = (Trip ([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($cert.RawData))).Pkcs12
$ordered = Trip ([ordered]@{ b = 1; a = @(1, 'x', $null); n = @{ deep = [timespan]::FromSeconds(1) } })
$r.dictType = $ordered.GetType().Name
$r.dictKeys = @($ordered.Keys)
$r.dictCaseInsensitive = $ordered['B']
$r.list = @($ordered.a)
$r.deep = $ordered.n.deep.TotalSeconds
$pso = Trip ([pscustomobject]@{ Z = 1; Y = 'two' })
$r.psoKeys = @($pso.Keys)
$r.enum = Trip ([System.DayOfWeek]::Monday)
$r.null = $null -eq (Trip $null)
$env = Get-MgEnvironment -Name Global
$r.outputObject = [ordered]@{ type = $env.GetType().Name; typeName = $env.pstypenames[0]; name = $env.Name }
$r | ConvertTo-Json -Depth 5 -Compress
"""


def test_values_cross_as_the_shared_contract_says(pwsh_json):
    r = pwsh_json(SCRIPT)
    assert r["string"] == "héllo" and r["int"] == "Int32" and r["long"] == 8589934592 and r["double"] == 1.5
    assert r["bool"] is True and r["switch"] is True
    assert r["timespan"] == 90
    assert r["secure"] == "s3cret"
    assert r["credential"] == {"UserName": "app-id", "Password": "pw"}
    assert r["certificate"] == {"thumbprint": True, "subject": "CN=pwshcompat-test", "pfxHasKey": True, "pfxSame": True}
    assert r["publicOnly"] is None
    assert r["dictType"] == "OrderedDictionary" and r["dictKeys"] == ["b", "a", "n"] and r["dictCaseInsensitive"] == 1
    assert r["list"] == [1, "x", None] and r["deep"] == 1
    assert r["psoKeys"] == ["Z", "Y"]
    assert r["enum"] == "Monday" and r["null"] is True
    # Output objects become PSCustomObjects named after the command's [OutputType()].
    assert r["outputObject"] == {"type": "PSCustomObject", "typeName": "Microsoft.Graph.PowerShell.Authentication.GraphEnvironment",
                                 "name": "Global"}
