// A zot registry from the zot-registry component package, in TypeScript.
//
//   pulumi package add ../../provider   # generates sdks/zot-registry (@zot-registry/zot-registry)
//   npm install
//   pulumi stack init dev
//   pulumi config set --secret oidcClientSecret <the client secret>
//   pulumi up
//
// `settings` is plain data in the inputs' shape (docs/configuration.md);
// provider/provider_test.go reads it, checks every key against the
// package's schema and constructs the Registry from it under mocks.
import * as pulumi from "@pulumi/pulumi";
import * as zot from "@zot-registry/zot-registry";

const config = new pulumi.Config();

const settings = {
    registry: {
        externalUrl: "https://registry.example.com",
        route: { enabled: true, parentRefs: [{ name: "public", namespace: "gateways" }] },
        replicas: 3,
        cache: { driver: "redis", redis: { addresses: ["redis.platform.svc:6379"] } },
        accessControl: { adminGroups: ["registry-admins"], readerGroups: ["developers"] },
    },
    storage: { mode: "existing", bucket: "zot-example", region: "eu-central-1" },
    identity: { mode: "external", issuer: "https://keycloak.example.com/realms/platform", clientId: "zot" },
    secrets: { store: { name: "vault" }, remoteProperty: "value" },
};

const registry = new zot.Registry("zot", {
    ...settings,
    oidcClientSecret: config.requireSecret("oidcClientSecret"),
});

export const registryUrl = registry.registryUrl;
export const serviceDns = registry.serviceDns;
