// Test-only certificates and keys (P-256, valid for 100 years), generated once with openssl for the
// test suites. They secure nothing: never use them outside tests.

public import Foundation

/// PEM fixtures for the TLS, QUIC and interop tests, and a helper that writes them to a temporary directory.
public enum TestCertificates {
    /// The test CA.
    public static let caCertificate = """
-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIUCYwahZrITf6BzSZ1VieCLOhiQHkwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMenRuYSB0ZXN0IENBMCAXDTI2MTEyNTAyNDYzOVoYDzIxMjYx
MTAxMDI0NjM5WjAXMRUwEwYDVQQDDAx6dG5hIHRlc3QgQ0EwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARbQutRypaZfHcOaIp4sQ4qzrjIc81+mRRwrCUsRLmd3Xy5
kPt0KZAOiN6brarcTmjwyLA1bGBlLN7N6rj6msH5o2MwYTAdBgNVHQ4EFgQUNr2y
ay1OjbPsgrxhTAhOATMV2mgwHwYDVR0jBBgwFoAUNr2yay1OjbPsgrxhTAhOATMV
2mgwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwID
SQAwRgIhAN31DxZrvMyl804dMMu1dkcEa/tRZD3P7vpOIMZZOr8iAiEA4t+FqCra
D5Dm51fTN2uNo7buE4UXDr1Lk8uhmxxWlpM=
-----END CERTIFICATE-----
"""
    /// The private key of the certificate above.
    public static let caPrivateKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjDmJoD+4qHpJqRtm
G82NByJHJ0p7H9WV5m6mSI4kwSehRANCAARbQutRypaZfHcOaIp4sQ4qzrjIc81+
mRRwrCUsRLmd3Xy5kPt0KZAOiN6brarcTmjwyLA1bGBlLN7N6rj6msH5
-----END PRIVATE KEY-----
"""
    /// A server certificate for localhost, 127.0.0.1 and relay.test signed by the test CA.
    public static let serverCertificate = """
-----BEGIN CERTIFICATE-----
MIIB1zCCAX6gAwIBAgIUZWIQaGwb9gEdCPON1G9Mvf2AIG8wCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMenRuYSB0ZXN0IENBMCAXDTI2MTEyNTAyNDYzOVoYDzIxMjYx
MTAxMDI0NjM5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggq
hkjOPQMBBwNCAAQ2EuxERQd6tRVKHFFRkxsdhfTcws0loJYvTD3DAhbQ9/LumwZo
z8EkjeHcFHMsl24Fryq4ATjK3NTzZO44ql1ho4GoMIGlMCYGA1UdEQQfMB2CCWxv
Y2FsaG9zdIcEfwAAAYIKcmVsYXkudGVzdDAdBgNVHSUEFjAUBggrBgEFBQcDAQYI
KwYBBQUHAwIwDgYDVR0PAQH/BAQDAgeAMAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYE
FJ5rWbRRlItXYVY6dEMn2V5eamLDMB8GA1UdIwQYMBaAFDa9smstTo2z7IK8YUwI
TgEzFdpoMAoGCCqGSM49BAMCA0cAMEQCIAbzba26YbfSwWcsHRL5SDERVuvkg3kI
EiYJKzVqZvJlAiBCmyF417BuQbPDAZYIBrjW5tVZ3q/Pv4JsayVXJbxyhg==
-----END CERTIFICATE-----
"""
    /// The private key of the certificate above.
    public static let serverPrivateKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBtiTgr9hlSoKdDxD
Cy4OgZncpyAQSolAed2qT58VBx+hRANCAAQ2EuxERQd6tRVKHFFRkxsdhfTcws0l
oJYvTD3DAhbQ9/LumwZoz8EkjeHcFHMsl24Fryq4ATjK3NTzZO44ql1h
-----END PRIVATE KEY-----
"""
    /// A client certificate (client.test) signed by the test CA.
    public static let clientCertificate = """
-----BEGIN CERTIFICATE-----
MIIByjCCAXCgAwIBAgIUZWIQaGwb9gEdCPON1G9Mvf2AIHAwCgYIKoZIzj0EAwIw
FzEVMBMGA1UEAwwMenRuYSB0ZXN0IENBMCAXDTI2MTEyNTAyNDYzOVoYDzIxMjYx
MTAxMDI0NjM5WjAWMRQwEgYDVQQDDAtjbGllbnQudGVzdDBZMBMGByqGSM49AgEG
CCqGSM49AwEHA0IABFWijAK+nGep4zm4W7ERBaeJDk6S2Y262fas05H1GfSiLmfc
b6cZgIJvrl0bE7tnKFX7mhYHLOllNMBNxmDVFTajgZgwgZUwFgYDVR0RBA8wDYIL
Y2xpZW50LnRlc3QwHQYDVR0lBBYwFAYIKwYBBQUHAwIGCCsGAQUFBwMBMA4GA1Ud
DwEB/wQEAwIHgDAMBgNVHRMBAf8EAjAAMB0GA1UdDgQWBBSR9b0Lt/rXYcDPhMcg
dIkd6NbI7DAfBgNVHSMEGDAWgBQ2vbJrLU6Ns+yCvGFMCE4BMxXaaDAKBggqhkjO
PQQDAgNIADBFAiBMsWB4u3ONMi+X+8fr+/7qGK4tMxdVOYdTGYFwoVzIbQIhAMuY
1wGrJHHyfnWyb+FlzJ9JnA9N9hhkqWKDim54xu5c
-----END CERTIFICATE-----
"""
    /// The private key of the certificate above.
    public static let clientPrivateKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgq5SS8sqYzKvp+mVW
z4Iy+87IhGmd86ZMDx5AMNHUWHOhRANCAARVoowCvpxnqeM5uFuxEQWniQ5OktmN
utn2rNOR9Rn0oi5n3G+nGYCCb65dGxO7ZyhV+5oWByzpZTTATcZg1RU2
-----END PRIVATE KEY-----
"""
    /// An unrelated CA.
    public static let otherCACertificate = """
-----BEGIN CERTIFICATE-----
MIIBoDCCAUegAwIBAgIUKGC+z3XtoZ5r/oOS+YYwLDCSb9wwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSenRuYSBvdGhlciB0ZXN0IENBMCAXDTI2MTEyNTAyNDYzOVoY
DzIxMjYxMTAxMDI0NjM5WjAdMRswGQYDVQQDDBJ6dG5hIG90aGVyIHRlc3QgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARWFymIoE9oi9SbuVQIQKOl1HVQkHSc
91lqstXtoc6QFK7w1LiNqcXeNHiM69i0YI2H9zKrkEI88oJTLQGt4MkBo2MwYTAd
BgNVHQ4EFgQUNqSQOgHMJoyFDfM3CEScFMsAZYwwHwYDVR0jBBgwFoAUNqSQOgHM
JoyFDfM3CEScFMsAZYwwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYw
CgYIKoZIzj0EAwIDRwAwRAIgKYt4KhCvoE0vcI8hvttglgm63wtCU+boRkzXLEpy
op8CIBEg6PlB9JPXI9EBNWq4jZFDDkUsEmVT9s0pNS/uord2
-----END CERTIFICATE-----
"""
    /// The private key of the certificate above.
    public static let otherCAPrivateKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg83dvo20Cv+J3t1FI
TTg7KhvWLRPAQ9xDuyl/dsU13p2hRANCAARWFymIoE9oi9SbuVQIQKOl1HVQkHSc
91lqstXtoc6QFK7w1LiNqcXeNHiM69i0YI2H9zKrkEI88oJTLQGt4MkB
-----END PRIVATE KEY-----
"""
    /// A certificate for localhost/127.0.0.1/rogue.test signed by the unrelated CA.
    public static let rogueCertificate = """
-----BEGIN CERTIFICATE-----
MIIB3jCCAYWgAwIBAgIUOFBqUtqTafn3f7B/3ETVJB/piHYwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSenRuYSBvdGhlciB0ZXN0IENBMCAXDTI2MTEyNTAyNDYzOVoY
DzIxMjYxMTAxMDI0NjM5WjAVMRMwEQYDVQQDDApyb2d1ZS50ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEnqWErhDZ7mp6H6Fd718PcbQpmjHMFq+FpqzF/+kN
tGEp0/LbTrj6RVPU8T2J6hqaIIAj58pHJwT5TqdaCOBQq6OBqDCBpTAmBgNVHREE
HzAdggpyb2d1ZS50ZXN0gglsb2NhbGhvc3SHBH8AAAEwHQYDVR0lBBYwFAYIKwYB
BQUHAwIGCCsGAQUFBwMBMA4GA1UdDwEB/wQEAwIHgDAMBgNVHRMBAf8EAjAAMB0G
A1UdDgQWBBRLKBCxIyZznEN6d3/txhj15q4U8TAfBgNVHSMEGDAWgBQ2pJA6Acwm
jIUN8zcIRJwUywBljDAKBggqhkjOPQQDAgNHADBEAiAHkZlgXDJVpAZbkVC4bpf4
ZALuqBvr0Lqj07vbqBS/UAIgMmmjQtu10NTIKaSaiZzCbeq4t15nGUPNkZXoOd/Z
o4w=
-----END CERTIFICATE-----
"""
    /// The private key of the certificate above.
    public static let roguePrivateKey = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZXPTf+rLwmrNTx8w
THofJHgDiSnpZyfXBK5/2kPZ9yehRANCAASepYSuENnuanofoV3vXw9xtCmaMcwW
r4WmrMX/6Q20YSnT8ttOuPpFU9TxPYnqGpoggCPnykcnBPlOp1oI4FCr
-----END PRIVATE KEY-----
"""

    /// Paths of the fixtures written to a fresh temporary directory; keys are written with mode 0600.
    public struct Files: Sendable {
        public let directory: URL
        public var caCertificate: String { directory.appendingPathComponent("ca.crt").path }
        public var serverCertificate: String { directory.appendingPathComponent("server.crt").path }
        public var serverPrivateKey: String { directory.appendingPathComponent("server.key").path }
        public var clientCertificate: String { directory.appendingPathComponent("client.crt").path }
        public var clientPrivateKey: String { directory.appendingPathComponent("client.key").path }
        public var otherCACertificate: String { directory.appendingPathComponent("otherca.crt").path }
        public var rogueCertificate: String { directory.appendingPathComponent("rogue.crt").path }
        public var roguePrivateKey: String { directory.appendingPathComponent("rogue.key").path }

        /// Removes the directory and everything in it.
        public func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Writes every fixture into a new temporary directory and returns their paths.
    public static func writeToTemporaryDirectory() throws -> Files {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ztna-test-certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files: [(String, String, Bool)] = [
            ("ca.crt", caCertificate, false), ("server.crt", serverCertificate, false),
            ("server.key", serverPrivateKey, true), ("client.crt", clientCertificate, false),
            ("client.key", clientPrivateKey, true), ("otherca.crt", otherCACertificate, false),
            ("rogue.crt", rogueCertificate, false), ("rogue.key", roguePrivateKey, true),
        ]
        for (name, contents, secret) in files {
            let path = directory.appendingPathComponent(name).path
            guard FileManager.default.createFile(
                atPath: path, contents: Data((contents + "\n").utf8),
                attributes: [.posixPermissions: secret ? 0o600 : 0o644]
            ) else { throw CocoaError(.fileWriteUnknown) }
        }
        return Files(directory: directory)
    }
}
