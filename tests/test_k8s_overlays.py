"""The Kustomize base and its overlays, rendered and validated offline.

Rendering: scripts/k8s.py, a small renderer of the Kustomize features these directories use
(it refuses any other). Standard objects are validated against the Kubernetes 1.31 schema
(kubernetes-validate, strict: unknown fields fail); the operators' objects against the
fields their documentation gives for the versions the base names: CloudNativePG 1.25,
RabbitMQ Cluster Operator 2.11, Messaging Topology Operator 1.15, Keycloak operator 26.4,
KEDA 2.16, Prometheus Operator 0.79.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from console import store as console_store
from scripts.k8s import (
    DEFINITIONS,
    ROOT,
    SERVICES,
    generated_files,
    object_name,
    render,
    topology_objects,
)
from shared.settings import ServiceSettings

KUBERNETES_VERSION = "1.31.0"
OVERLAYS = ("base", "overlays/dev", "overlays/prod")
STANDARD_GROUPS = {"v1", "apps", "batch", "policy", "networking.k8s.io", "autoscaling"}
TOPOLOGY_REFERENCE = {"rabbitmqClusterReference"}

# The fields of each operator's objects (spec, top level) as documented for its version,
# with the ones these manifests must set.
OPERATOR_FIELDS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): (
        {
            "instances",
            "imageName",
            "primaryUpdateStrategy",
            "enablePDB",
            "postgresql",
            "bootstrap",
            "managed",
            "storage",
            "walStorage",
            "resources",
            "affinity",
            "monitoring",
            "backup",
            "superuserSecret",
            "enableSuperuserAccess",
            "description",
            "minSyncReplicas",
            "maxSyncReplicas",
            "primaryUpdateMethod",
            "topologySpreadConstraints",
            "replica",
            "externalClusters",
            "certificates",
        },
        {"instances", "storage", "bootstrap", "backup"},
    ),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): (
        {
            "schedule",
            "cluster",
            "backupOwnerReference",
            "method",
            "immediate",
            "suspend",
            "target",
            "online",
        },
        {"schedule", "cluster"},
    ),
    ("postgresql.cnpg.io/v1", "Database"): (
        {"name", "owner", "cluster", "ensure", "encoding", "template", "databaseReclaimPolicy"},
        {"name", "owner", "cluster"},
    ),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): (
        {
            "replicas",
            "image",
            "imagePullSecrets",
            "service",
            "persistence",
            "resources",
            "affinity",
            "tolerations",
            "rabbitmq",
            "tls",
            "override",
            "skipPostDeploySteps",
            "terminationGracePeriodSeconds",
            "delayStartSeconds",
            "secretBackend",
        },
        {"replicas", "image"},
    ),
    ("rabbitmq.com/v1beta1", "User"): (
        {"tags", "importCredentialsSecret", *TOPOLOGY_REFERENCE},
        {"importCredentialsSecret", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Permission"): (
        {"vhost", "user", "userReference", "permissions", *TOPOLOGY_REFERENCE},
        {"vhost", "permissions", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "TopicPermission"): (
        {"vhost", "user", "userReference", "permissions", *TOPOLOGY_REFERENCE},
        {"vhost", "permissions", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Policy"): (
        {"name", "vhost", "pattern", "applyTo", "priority", "definition", *TOPOLOGY_REFERENCE},
        {"name", "pattern", "definition", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Exchange"): (
        {"name", "vhost", "type", "durable", "autoDelete", "arguments", *TOPOLOGY_REFERENCE},
        {"name", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Queue"): (
        {
            "name",
            "vhost",
            "type",
            "durable",
            "autoDelete",
            "arguments",
            "deleteIfEmpty",
            "deleteIfUnused",
            *TOPOLOGY_REFERENCE,
        },
        {"name", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Binding"): (
        {
            "vhost",
            "source",
            "destination",
            "destinationType",
            "routingKey",
            "arguments",
            *TOPOLOGY_REFERENCE,
        },
        {"source", "destination", "destinationType", *TOPOLOGY_REFERENCE},
    ),
    ("rabbitmq.com/v1beta1", "Vhost"): (
        {"name", "tags", "defaultQueueType", "tracing", *TOPOLOGY_REFERENCE},
        {"name", *TOPOLOGY_REFERENCE},
    ),
    ("k8s.keycloak.org/v2alpha1", "Keycloak"): (
        {
            "instances",
            "image",
            "db",
            "http",
            "hostname",
            "proxy",
            "ingress",
            "resources",
            "features",
            "transaction",
            "additionalOptions",
            "unsupported",
            "truststores",
            "cache",
            "startOptimized",
            "imagePullSecrets",
            "httpManagement",
            "bootstrapAdmin",
            "scheduling",
            "networkPolicy",
            "tracing",
        },
        {"instances", "db", "hostname"},
    ),
    ("k8s.keycloak.org/v2alpha1", "KeycloakRealmImport"): (
        {"keycloakCRName", "realm", "placeholders", "resources"},
        {"keycloakCRName", "realm"},
    ),
    ("keda.sh/v1alpha1", "ScaledObject"): (
        {
            "scaleTargetRef",
            "minReplicaCount",
            "maxReplicaCount",
            "pollingInterval",
            "cooldownPeriod",
            "idleReplicaCount",
            "triggers",
            "advanced",
            "fallback",
            "initialCooldownPeriod",
        },
        {"scaleTargetRef", "triggers"},
    ),
    ("monitoring.coreos.com/v1", "PodMonitor"): (
        {
            "selector",
            "namespaceSelector",
            "podMetricsEndpoints",
            "jobLabel",
            "podTargetLabels",
            "sampleLimit",
            "targetLimit",
            "attachMetadata",
        },
        {"selector", "podMetricsEndpoints"},
    ),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): (
        {"secretTargetRef", "env", "hashiCorpVault", "podIdentity", "configMapTargetRef"},
        set(),
    ),
}
# Nested fields the operators document, where a misspelling would go unnoticed.
CNPG_DB_FIELDS = {
    "vendor",
    "host",
    "port",
    "database",
    "poolMaxSize",
    "poolMinSize",
    "poolInitialSize",
    "usernameSecret",
    "passwordSecret",
    "schema",
    "url",
}
KEDA_RABBITMQ_METADATA = {
    "protocol",
    "queueName",
    "vhostName",
    "mode",
    "value",
    "activationValue",
    "host",
    "hostFromEnv",
    "useRegex",
    "excludeUnacknowledged",
    "pageSize",
    "unsafeSsl",
    "operation",
}


@cache
def rendered(directory: str) -> list[dict[str, Any]]:
    return render(ROOT / "deploy" / "k8s" / directory)


def standard(document: dict[str, Any]) -> bool:
    return document["apiVersion"].split("/")[0] in STANDARD_GROUPS


def of_kind(directory: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(directory) if d["kind"] == kind}


def workloads(directory: str) -> dict[str, dict[str, Any]]:
    return of_kind(directory, "Deployment")


@pytest.mark.parametrize("directory", OVERLAYS)
def test_standard_objects_are_valid_kubernetes(directory: str) -> None:
    objects = [d for d in rendered(directory) if standard(d)]
    assert len(objects) > 40
    for document in objects:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{document['kind']} {document['metadata']['name']}"
            raise AssertionError(f"{directory}: {name}: {error.message}") from None


@pytest.mark.parametrize("directory", OVERLAYS)
def test_operator_objects_use_their_documented_fields(directory: str) -> None:
    seen = set()
    for document in rendered(directory):
        if standard(document):
            continue
        key = (document["apiVersion"], document["kind"])
        assert key in OPERATOR_FIELDS, f"no documented fields for {key}"
        seen.add(key[1])
        allowed, required = OPERATOR_FIELDS[key]
        spec = set(document["spec"])
        name = f"{document['kind']} {document['metadata']['name']}"
        assert spec <= allowed, f"{name}: undocumented {sorted(spec - allowed)}"
        assert required <= spec, f"{name}: missing {sorted(required - spec)}"
        assert document["metadata"]["namespace"] == "volunteering"
        if document["kind"] == "Keycloak":
            assert set(document["spec"]["db"]) <= CNPG_DB_FIELDS
        if document["kind"] == "ScaledObject":
            for trigger in document["spec"]["triggers"]:
                assert set(trigger["metadata"]) <= KEDA_RABBITMQ_METADATA
    assert {
        "Cluster",
        "ScheduledBackup",
        "RabbitmqCluster",
        "Keycloak",
        "ScaledObject",
        "PodMonitor",
    } <= seen


POD_METRICS_ENDPOINT_FIELDS = {"port", "path", "interval", "scrapeTimeout", "scheme", "relabelings"}


@pytest.mark.parametrize("directory", OVERLAYS)
def test_prometheus_scrapes_every_service_and_rabbitmq(directory: str) -> None:
    monitors = of_kind(directory, "PodMonitor").values()

    def scraped(labels: dict[str, str], port: str) -> bool:
        return any(
            m["spec"]["selector"]["matchLabels"].items() <= labels.items()
            and any(e["port"] == port for e in m["spec"]["podMetricsEndpoints"])
            for m in monitors
        )

    for monitor in monitors:
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert set(endpoint) <= POD_METRICS_ENDPOINT_FIELDS
    for service in SERVICES:
        for name in (service, f"{service}-api"):
            pod = workloads(directory)[name]["spec"]["template"]
            (container,) = pod["spec"]["containers"]
            assert {"name": "http", "containerPort": container["ports"][0]["containerPort"]} in (
                container["ports"]
            )
            assert scraped(pod["metadata"]["labels"], "http"), f"{name} is not scraped"
    # The labels the RabbitMQ Cluster Operator gives its pods, and the plugin it is given.
    (rabbitmq,) = of_kind(directory, "RabbitmqCluster").values()
    assert "rabbitmq_prometheus" in rabbitmq["spec"]["rabbitmq"]["additionalPlugins"]
    pod_labels = {
        "app.kubernetes.io/component": "rabbitmq",
        "app.kubernetes.io/name": rabbitmq["metadata"]["name"],
        "app.kubernetes.io/part-of": "rabbitmq",
    }
    assert scraped(pod_labels, "prometheus")


def test_the_generated_files_are_up_to_date() -> None:
    for path, text in generated_files().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date: `python scripts/k8s.py generate`"
        )


def test_the_broker_topology_is_the_definitions_file() -> None:
    definitions = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    objects = of_kind("base", "User") | of_kind("base", "Permission")
    users = {
        d["spec"]["importCredentialsSecret"]["name"]: d for d in of_kind("base", "User").values()
    }
    assert len(users) == len(definitions["users"])
    for user in definitions["users"]:
        assert f"rabbitmq-user-{object_name(user['name'])}" in users
    permissions = {
        (d["spec"]["user"], d["spec"]["vhost"]): d["spec"]["permissions"]
        for d in of_kind("base", "Permission").values()
    }
    assert permissions == {
        (p["user"], p["vhost"]): {k: p[k] for k in ("configure", "write", "read")}
        for p in definitions["permissions"]
    }
    topic = {
        (d["spec"]["user"], d["spec"]["permissions"]["exchange"])
        for d in of_kind("base", "TopicPermission").values()
    }
    assert topic == {(p["user"], p["exchange"]) for p in definitions.get("topic_permissions", [])}
    policies = {d["spec"]["name"] for d in of_kind("base", "Policy").values()}
    assert policies == {p["name"] for p in definitions.get("policies", [])}
    exchanges = {d["spec"]["name"]: d["spec"] for d in of_kind("base", "Exchange").values()}
    assert set(exchanges) == {e["name"] for e in definitions["exchanges"]}
    for exchange in definitions["exchanges"]:
        assert exchanges[exchange["name"]]["type"] == exchange["type"]
        assert exchanges[exchange["name"]]["arguments"] == exchange["arguments"]
    queues = {d["spec"]["name"]: d["spec"] for d in of_kind("base", "Queue").values()}
    for queue in definitions["queues"]:
        arguments = dict(queue["arguments"])
        assert queues[queue["name"]]["type"] == arguments.pop("x-queue-type", "classic")
        assert queues[queue["name"]]["arguments"] == arguments
    bindings = {
        (d["spec"]["source"], d["spec"]["destination"], d["spec"]["routingKey"])
        for d in of_kind("base", "Binding").values()
    }
    assert bindings == {
        (b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]
    }
    assert objects and len(topology_objects(definitions)) >= len(definitions["exchanges"])


def test_object_names_are_dns_labels_and_distinct() -> None:
    assert object_name("queue", "/", "matching.dead-letters") != object_name(
        "queue", "/", "matching-dead-letters"
    )
    for document in rendered("base"):
        name = document["metadata"]["name"]
        assert len(name) <= 63 and name == name.lower() and "." not in name.strip(), name


@pytest.mark.parametrize("directory", OVERLAYS)
def test_every_workload_is_spread_budgeted_probed_sized_and_pinned(directory: str) -> None:
    budgets = of_kind(directory, "PodDisruptionBudget").values()
    for name, deployment in workloads(directory).items():
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert any(
            b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets
        ), f"{name} has no PodDisruptionBudget"
        spread = pod["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} >= {"kubernetes.io/hostname"}
        for constraint in spread:
            assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()
        for container in pod["spec"]["containers"]:
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, f"{name}: no {probe}"
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            image, _, tag = container["image"].partition(":")
            assert tag and tag != "latest" and tag[0].isdigit(), f"{name}: {container['image']}"
        policies = of_kind(directory, "NetworkPolicy").values()
        assert any(
            p["spec"]["podSelector"]["matchLabels"].items() <= labels.items() for p in policies
        ), f"{name}: no NetworkPolicy"
    for kind in ("RabbitmqCluster", "Keycloak"):
        for document in of_kind(directory, kind).values():
            image = document["spec"]["image"]
            assert ":" in image and not image.endswith(":latest"), image
    for cluster in of_kind(directory, "Cluster").values():
        assert not cluster["spec"]["imageName"].endswith(":latest")


def test_services_reach_only_their_database_broker_and_identity_provider() -> None:
    policies = of_kind("base", "NetworkPolicy")
    for service in SERVICES:
        egress = policies[service]["spec"]["egress"]
        pods = [
            peer["podSelector"]["matchLabels"]
            for rule in egress
            for peer in rule["to"]
            if "podSelector" in peer and "namespaceSelector" not in peer
        ]
        assert pods == [
            {"cnpg.io/cluster": "volunteering-db"},
            {"app.kubernetes.io/name": "rabbitmq"},
            {"app": "keycloak", "app.kubernetes.io/instance": "keycloak"},
        ]
        outside = [peer["ipBlock"] for rule in egress for peer in rule["to"] if "ipBlock" in peer]
        assert bool(outside) == (service == "notifications"), service
        ingress_from = policies[service]["spec"]["ingress"][0]["from"]
        assert {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "gateway"} in [
            peer.get("podSelector", {}).get("matchLabels") for peer in ingress_from
        ]
        selector = policies[service]["spec"]["podSelector"]["matchLabels"]
        for deployment in (service, f"{service}-api"):
            labels = workloads("base")[deployment]["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items()


def test_consumers_scale_on_queue_length_and_api_replicas_on_cpu() -> None:
    scaled = of_kind("base", "ScaledObject")
    autoscalers = of_kind("base", "HorizontalPodAutoscaler")
    for service in SERVICES:
        (trigger,) = scaled[service]["spec"]["triggers"]
        assert scaled[service]["spec"]["scaleTargetRef"]["name"] == service
        assert trigger["type"] == "rabbitmq" and trigger["metadata"]["queueName"] == service
        assert trigger["metadata"]["mode"] == "QueueLength"
        api = workloads("base")[f"{service}-api"]
        env = {
            e["name"]: e["value"] for e in api["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        prefix = service.upper()
        assert env[f"{prefix}_CONSUMER_ENABLED"] == "false"
        assert env[f"{prefix}_RELAY_ENABLED"] == "false"
        hpa = autoscalers[f"{service}-api"]["spec"]
        assert hpa["scaleTargetRef"]["name"] == f"{service}-api"
        assert hpa["metrics"][0]["resource"]["name"] == "cpu"


def connections_per_replica(name: str, deployment: dict[str, Any]) -> int:
    """A replica's database connections at most, as its code and environment make them:
    the console's pool; a service's pool and overflow (``<P>DB_POOL_SIZE``,
    ``<P>DB_MAX_OVERFLOW``) and the relay's one connection unless ``<P>RELAY_ENABLED=false``."""
    if name == "console":
        return console_store.POOL_MAX_SIZE
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    prefix = name.removesuffix("-api").upper() + "_"
    fields = ServiceSettings.model_fields
    settings = ServiceSettings.model_construct(
        db_pool_size=int(env.get(f"{prefix}DB_POOL_SIZE", fields["db_pool_size"].default)),
        db_max_overflow=int(env.get(f"{prefix}DB_MAX_OVERFLOW", fields["db_max_overflow"].default)),
        relay_enabled=env.get(f"{prefix}RELAY_ENABLED", "true") != "false",
    )
    return settings.database_connections_at_most()


@pytest.mark.parametrize("directory", OVERLAYS)
def test_every_pool_at_its_maximum_replicas_fits_postgres(directory: str) -> None:
    (cluster,) = of_kind(directory, "Cluster").values()
    parameters = cluster["spec"]["postgresql"]["parameters"]
    limit = int(parameters["max_connections"]) - int(parameters["superuser_reserved_connections"])
    maximum = {name: d["spec"]["replicas"] for name, d in workloads(directory).items()}
    for scaled in of_kind(directory, "ScaledObject").values():
        maximum[scaled["spec"]["scaleTargetRef"]["name"]] = scaled["spec"]["maxReplicaCount"]
    for hpa in of_kind(directory, "HorizontalPodAutoscaler").values():
        maximum[hpa["spec"]["scaleTargetRef"]["name"]] = hpa["spec"]["maxReplicas"]
    with_database = [name for name in maximum if name != "gateway"]
    deployments = workloads(directory)
    needed = sum(
        maximum[name] * connections_per_replica(name, deployments[name]) for name in with_database
    )
    needed += len(of_kind(directory, "Job"))  # the migrations, one connection each
    for keycloak in of_kind(directory, "Keycloak").values():
        needed += keycloak["spec"]["instances"] * keycloak["spec"]["db"]["poolMaxSize"]
    assert needed <= limit, f"{needed} connections at the maximum, Postgres admits {limit}"
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    assert f"max_connections` {parameters['max_connections']}" in readme
    # The README states this overlay's sum.
    assert f"**{needed}**" in readme


def test_keycloak_has_a_tls_ingress_from_cert_manager() -> None:
    ingress = of_kind("base", "Ingress")["keycloak"]
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    (tls,) = ingress["spec"]["tls"]
    assert tls["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "keycloak-service", "port": {"number": 8080}}


GATEWAY_TEMPLATE = ROOT / "deploy" / "gateway" / "templates" / "default.conf.template"


def megabytes(size: str) -> float:
    units = {"k": 1 / 1024, "m": 1, "g": 1024}
    return float(size[:-1]) * units[size[-1].lower()]


@pytest.mark.parametrize("directory", OVERLAYS)
def test_the_gateway_is_reached_through_a_tls_ingress_that_passes_what_it_admits(
    directory: str,
) -> None:
    ingress = of_kind(directory, "Ingress")["gateway"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"]
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert tls["hosts"] == [rule["host"]] and tls["secretName"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    service = of_kind(directory, "Service")["gateway"]
    assert service["spec"]["type"] == "ClusterIP"
    assert path["backend"]["service"]["name"] == "gateway"
    assert path["backend"]["service"]["port"]["name"] in [
        p["name"] for p in service["spec"]["ports"]
    ]
    # The gateway's largest body and its read timeout pass the controller too.
    template = GATEWAY_TEMPLATE.read_text(encoding="utf-8")
    bodies = re.findall(r"client_max_body_size (\w+);", template)
    assert megabytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]) >= max(
        megabytes(size) for size in bodies
    )
    (read_timeout,) = re.findall(r"proxy_read_timeout (\d+)s;", template)
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= int(read_timeout)
    # The limits per client are the controller's: behind it every request comes from one of
    # its pods, so the gateway's own are far above them.
    rate = int(annotations["nginx.ingress.kubernetes.io/limit-rps"])
    assert rate > 0 and int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    container = workloads(directory)["gateway"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["GATEWAY_RATE_PER_S"]) >= 10 * rate


def test_the_public_hosts_are_the_overlays_own() -> None:
    hosts = {
        overlay: of_kind(overlay, "Ingress")["gateway"]["spec"]["rules"][0]["host"]
        for overlay in OVERLAYS[1:]
    }
    assert hosts == {
        "overlays/dev": "wolontariat.dev.example.invalid",
        "overlays/prod": "wolontariat.example.invalid",
    }
    dev, prod = (of_kind(o, "Ingress")["gateway"]["metadata"]["annotations"] for o in OVERLAYS[1:])
    issuer = "cert-manager.io/cluster-issuer"
    assert (dev[issuer], prod[issuer]) == ("letsencrypt-staging", "letsencrypt")
    # Production's host is the address the console and the services give people.
    console = workloads("overlays/prod")["console"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in console["env"]}
    assert urlsplit(env["CONSOLE_PUBLIC_URL"]).hostname == hosts["overlays/prod"]


@pytest.mark.parametrize("overlay", OVERLAYS[1:])
def test_the_applications_give_and_trust_the_overlays_own_addresses(overlay: str) -> None:
    """Links in messages, the console's address and the token issuers name the hosts the
    overlay's Ingresses serve: a dev environment sends no one to production and accepts
    its own Keycloak's tokens."""
    ingresses = of_kind(overlay, "Ingress")
    served = {ingresses[name]["spec"]["rules"][0]["host"] for name in ("gateway", "keycloak")}
    named: dict[str, set[str]] = {}
    for name, deployment in workloads(overlay).items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for item in container.get("env", []):
                host = urlsplit(str(item.get("value", ""))).hostname or ""
                if host.startswith(("wolontariat.", "sso.")):
                    named.setdefault(host, set()).add(f"{name}: {item['name']}")
    assert named, "no application names a public address"
    assert set(named) == served, named

    (rule,) = of_kind("base", "NetworkPolicy")["gateway"]["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "console"}}},
    ]
    assert rule["ports"] == [{"port": 8080, "protocol": "TCP"}]
    console = workloads("base")["console"]["spec"]["template"]["metadata"]["labels"]
    assert console["app.kubernetes.io/name"] == "console"
    # The console's own policy lets it out to the gateway.
    egress = of_kind("base", "NetworkPolicy")["console"]["spec"]["egress"]
    assert {
        "to": [
            {
                "podSelector": {
                    "matchLabels": {
                        "app.kubernetes.io/name": "gateway",
                        "app.kubernetes.io/component": "gateway",
                    }
                }
            }
        ],
        "ports": [{"port": 8080, "protocol": "TCP"}],
    } in egress


def test_overlays_differ_where_they_should() -> None:
    dev, prod = (of_kind(o, "Cluster")["volunteering-db"] for o in OVERLAYS[1:])
    assert (dev["spec"]["instances"], prod["spec"]["instances"]) == (1, 3)
    assert of_kind("overlays/prod", "RabbitmqCluster")["rabbitmq"]["spec"]["replicas"] == 3
    backups = of_kind("overlays/prod", "ScheduledBackup")
    assert not backups["volunteering-db-nightly"]["spec"].get("suspend", False)
    assert "s3://" in prod["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
    for overlay in OVERLAYS[1:]:
        environment = overlay.rsplit("/", 1)[1]
        for document in rendered(overlay):
            assert document["metadata"]["labels"]["volunteering.waw.pl/environment"] == environment
