import Testing
import ZTNAProtocol
@testable import ZTNAIdentity

@Suite struct GrantNameTests {
    let web = ServiceID("web")!

    @Test func agentAndConnectorNamesParse() {
        #expect(GrantName.parse("agent.web.ztna")! == (Role.agent, web))
        #expect(GrantName.parse("connector.web.ztna")! == (Role.connector, web))
    }

    @Test func wildcardMeansAllServices() throws {
        let parsed = try #require(GrantName.parse("agent.*.ztna"))
        #expect(parsed.role == .agent)
        #expect(parsed.service == nil)
    }

    @Test func matchingIsCaseInsensitive() throws {
        let parsed = try #require(GrantName.parse("AGENT.Web.ZTNA"))
        #expect(parsed.role == .agent)
        #expect(parsed.service == web)
        #expect(GrantName.parse("Connector.*.Ztna")?.role == .connector)
    }

    @Test(arguments: [
        "agent.a.b.ztna", "agent..ztna", "agent.-x.ztna", "agent.x-.ztna", "agent.web.ztna.", "agent.web.example",
        "agent.web", "relay.web.ztna", "agents.web.ztna", "agent.we_b.ztna", "agent.**.ztna", "agent.*x.ztna",
        "web.ztna", "", ".", "agent.web.ztnax", "agent.\(String(repeating: "a", count: 64)).ztna",
    ])
    func otherNamesGrantNothing(_ name: String) {
        #expect(GrantName.parse(name) == nil)
    }

    @Test func makeRoundTrips() {
        #expect(GrantName.make(role: .connector, service: web) == "connector.web.ztna")
        #expect(GrantName.make(role: .agent, service: nil) == "agent.*.ztna")
    }

    @Test func grantsNeedClientAuth() {
        let names = ["agent.web.ztna", "connector.echo.ztna"]
        #expect(Grants(dnsNames: names, purposes: .serverAuth) == .none)
        #expect(Grants(dnsNames: names, purposes: []) == .none)
        let granted = Grants(dnsNames: names, purposes: .clientAuth)
        #expect(granted.may(.agent, web))
        #expect(!granted.may(.connector, web))
        #expect(granted.may(.connector, ServiceID("echo")!))
        #expect(!granted.may(.relay, web))
    }

    @Test func wildcardAbsorbsSpecificGrants() {
        let grants = Grants(dnsNames: ["agent.web.ztna", "agent.*.ztna", "agent.echo.ztna"], purposes: .clientAuth)
        #expect(grants.agent == .all)
        #expect(grants.connector == .none)
        #expect(grants.may(.agent, ServiceID("anything")!))
    }

    @Test func noNamesGrantNothing() {
        #expect(Grants(dnsNames: [], purposes: [.clientAuth, .serverAuth]) == .none)
        #expect(Grants(dnsNames: ["relay.example.com"], purposes: [.clientAuth, .serverAuth]) == .none)
    }
}
