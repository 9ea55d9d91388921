#if canImport(Glibc)
import Glibc
#endif
import DriverModel
import DriverSDK
import PlatformKit
import Synchronization

/// StreamSpace sessions as Kubernetes workloads, through the REST API (never kubectl).
///
/// A session is a Deployment `ss-<id>` of one pod (labelled `streamspace.io/*`, requests equal
/// to limits), a Service named exactly the session id and owned by the Deployment (ClusterIP, or
/// NodePort / LoadBalancer, or with an Ingress, per `expose`), and, with a persistent home, the
/// user's PVC `home-<user>`. Hibernation scales the Deployment to 0
/// (the PVC stays: disk-only). The cluster is the only record: a new driver instance finds every
/// session again by label.
final class KubernetesDriver: StreamSpaceDriver {
    let description = DriverDescription(
        name: "kubernetes", version: "1.0.0", platform: "kubernetes", vendor: "StreamSpace",
        description: "Sessions as Deployments and Services on a Kubernetes cluster (API 1.24+)")
    let capabilities: DriverCapabilities = [
        .hibernateDisk, .nodeMetrics, .sessionMetrics, .logs, .logsFollow, .persistentHome, .sessionEvents,
    ]

    let configuration: KubernetesConfiguration
    let host: DriverHost
    private let environment: [String: String]
    /// Set once by `prepare`; every operation runs after it (the SDK's PreparationGate).
    private let prepared = Mutex<KubeAPI?>(nil)
    let watchers = Mutex<[Task<Void, Never>]>([])
    /// The last status told to the host per session, so a watch event that changes nothing the
    /// Control Plane sees is not sent again.
    let reported = Mutex<[String: SessionStatus]>([:])

    required init(configuration json: JSONValue, host: DriverHost) throws {
        configuration = try KubernetesConfiguration(json)
        self.host = host
        var environment: [String: String] = [:]
        for name in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "HOME"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        self.environment = environment
    }

    /// Reads the kubeconfig (or the service account), opens the client, checks the namespace,
    /// then starts the pod watch. Runs in the background after create (DriverSDK).
    func prepare() async throws {
        let (connection, namespace) = try ConnectionSource.resolve(configuration, environment: environment)
        if connection.skipVerify {
            host.log(.warning, "kubernetes: TLS verification of \(connection.summary) is OFF (insecure-skip-tls-verify in the kubeconfig)")
        } else if !connection.useTLS {
            host.log(.warning, "kubernetes: talking to \(connection.summary) without TLS")
        }
        let api = try KubeAPI(connection, namespace: namespace, timeout: configuration.apiTimeout)
        do {
            // Each namespace is checked with a request the Role grants (reading a namespace
            // object it does not): a 403 there means the namespace is missing, having no
            // binding, or the Role is not bound in it.
            for namespace in configuration.allowedNamespaces(main: namespace) {
                let scoped = api.scoped(to: namespace)
                let probe = try await scoped.call(.GET, scoped.deployments, query: [("limit", "1")], allowed: [403],
                                                  what: "listing deployments in namespace \(namespace)")
                if probe.status == 403 {
                    throw DriverError(.failedPrecondition,
                                      "kubernetes: \(connection.summary) refuses to list deployments in namespace \"\(namespace)\": the namespace does not exist (kubectl create namespace \(namespace)), or the agent's Role is not bound there (deploy/kubernetes/role.yaml and rolebinding.yaml, applied in it)")
                }
            }
        } catch {
            await api.shutdown()
            throw error
        }
        prepared.withLock { $0 = api }
        let allowed = configuration.allowedNamespaces(main: namespace)
        host.log(.info, "kubernetes: using \(connection.summary), namespace\(allowed.count > 1 ? "s" : "") \(allowed.joined(separator: ", "))")
        for namespace in allowed { startWatching(api.scoped(to: namespace)) }
    }

    func api() throws(DriverError) -> KubeAPI {
        guard let api = prepared.withLock({ $0 }) else {
            throw DriverError(.unavailable, "kubernetes: the driver is not connected yet")
        }
        return api
    }

    func manifests(in namespace: String) -> SessionManifests {
        SessionManifests(namespace: namespace, storageClass: configuration.storageClass,
                         homeSize: configuration.homeSize, homeAccessMode: configuration.homeAccessMode,
                         homeMountPath: configuration.homeMountPath, imagePullPolicy: configuration.imagePullPolicy,
                         exposure: configuration.exposure)
    }

    /// One client per namespace the driver may use, the main one first.
    func allowedAPIs() throws(DriverError) -> [KubeAPI] {
        let api = try api()
        return configuration.allowedNamespaces(main: api.namespace).map(api.scoped(to:))
    }

    /// The session's Deployment and the client of the namespace it is in: the named namespace
    /// (which must be allowed), else the first allowed one that has it. Nil: none has it.
    func locate(_ id: String, namespace: String? = nil) async throws(DriverError) -> (api: KubeAPI, deployment: JSONValue)? {
        let candidates: [KubeAPI]
        if let namespace {
            candidates = [try api().scoped(to: try configuration.placement(namespace, main: try api().namespace))]
        } else {
            candidates = try allowedAPIs()
        }
        for api in candidates {
            if let deployment = try await api.get("\(api.deployments)/\(KubernetesNames.deployment(id))",
                                                  what: "reading the deployment of \(id) in namespace \(api.namespace)") {
                return (api, deployment)
            }
        }
        return nil
    }

    func shutdown() async {
        // No session_changed after destroy (R8): the watch ends before the client closes.
        let tasks = watchers.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await prepared.withLock({ $0 })?.shutdown()
    }

    // MARK: Health

    func health() async -> Health {
        do {
            let api = try api()
            let version = try await api.call(.GET, "/version", what: "reading the version").json()
            let metrics = try await api.call(.GET, "/apis/metrics.k8s.io/v1beta1", allowed: [403, 404, 503],
                                             what: "looking for metrics.k8s.io")
            let usage = metrics.isSuccess ? "metrics.k8s.io served" : "metrics.k8s.io not served: node and session usage are estimates (install metrics-server)"
            return Health(.healthy, detail: "Kubernetes \(version["gitVersion"]?.stringValue ?? "?") at \(api.connection.summary), namespace \(api.namespace); \(usage)")
        } catch {
            return Health(.unhealthy, detail: error.message)
        }
    }

    // MARK: Lifecycle

    func start(_ spec: SessionSpec) async throws -> SessionStatus {
        let main = try api()
        // The Control Plane's payload namespace, which the host keeps as this label.
        let api = main.scoped(to: try configuration.placement(spec.labels[KubernetesNames.payloadNamespaceLabel], main: main.namespace))
        let manifests = manifests(in: api.namespace)
        let deployment = try manifests.deployment(spec)  // validates the whole spec first (R7)
        let name = KubernetesNames.deployment(spec.id)
        var made = Made()
        if spec.persistentHome {
            let claim = KubernetesNames.homeClaim(spec.user)
            made.claim = try await api.create(api.claims, manifests.homeClaim(user: spec.user, session: spec.id),
                                              what: "creating PVC \(claim)") != nil
            if !made.claim {
                // The user's home exists (another of their sessions, or one kept by a stop): it
                // gets this session's label too.
                switch try await api.patchLabels("\(api.claims)/\(claim)", [KubernetesNames.homeSessionLabel(spec.id): .string("true")],
                                                 what: "labelling PVC \(claim) with session \(spec.id)") {
                case 404: throw DriverError(.unavailable, "kubernetes: PVC \(claim) was deleted while session \(spec.id) started; start it again")
                case 403: roleLacksHomeLabels("patch", in: api.namespace)
                default: made.claimLabel = true
                }
            }
        }
        var created = try await api.create(api.deployments, deployment, what: "creating deployment \(name)")
        if created == nil {
            // A repeated start (R6), or one an earlier agent began: finish it.
            created = try await api.get("\(api.deployments)/\(name)", what: "reading deployment \(name)")
            guard let existing = created, existing["metadata"]?["labels"]?[KubernetesNames.sessionLabel]?.stringValue == spec.id else {
                throw DriverError(.alreadyExists, "kubernetes: deployment \(name) exists and is not session \(spec.id)'s")
            }
            if existing["spec"]?["replicas"]?.intValue == 0 { try await api.scale(deployment: name, to: 1) }
        } else {
            made.deployment = true
        }
        TestCrashPoint.reached("kubernetes:start-after-deployment")
        do {
            guard let uid = created?["metadata"]?["uid"]?.stringValue else {
                throw DriverError(.internal, "kubernetes: deployment \(name) has no uid")
            }
            var service: JSONValue?
            if let manifest = manifests.service(spec, ownerUID: uid) {
                service = try await api.create(api.services, manifest, what: "creating service \(spec.id)")
                made.service = service != nil
            }
            if let ingress = try manifests.ingress(spec, ownerUID: uid) {
                made.ingress = try await api.create(api.ingresses, ingress, what: "creating ingress \(spec.id)") != nil
            }
            return try await waitReady(spec.id, api: api, service: try await exposedService(spec.id, created: service, api: api))
        } catch {
            await cleanUp(made, spec: spec, api: api)
            throw error
        }
    }

    /// What one start created, so a start that fails removes exactly that.
    struct Made {
        var claim = false
        /// The session's label on a home that was there already.
        var claimLabel = false
        var deployment = false
        var service = false
        var ingress = false
    }

    private func cleanUp(_ made: Made, spec: SessionSpec, api: KubeAPI) async {
        // Not cancelled with the start: what was made must go even when the caller gave up.
        await Task {
            if made.ingress { try? await api.delete("\(api.ingresses)/\(spec.id)", what: "removing ingress \(spec.id)") }
            if made.service { try? await api.delete("\(api.services)/\(spec.id)", what: "removing service \(spec.id)") }
            if made.deployment {
                try? await api.delete("\(api.deployments)/\(KubernetesNames.deployment(spec.id))", what: "removing the deployment")
            }
            if made.claim {
                try? await api.delete("\(api.claims)/\(KubernetesNames.homeClaim(spec.user))", what: "removing the PVC")
            }
            if made.claimLabel {
                _ = try? await api.patchLabels("\(api.claims)/\(KubernetesNames.homeClaim(spec.user))",
                                               [KubernetesNames.homeSessionLabel(spec.id): .null], what: "unlabelling the PVC")
            }
        }.value
    }

    func stop(_ request: StopRequest) async throws -> SessionStatus {
        let id = request.sessionId
        try KubernetesNames.requireValidSession(id)
        let found = try await locate(id)
        let api = try found?.api ?? api()
        let deployment = found?.deployment
        // The Ingress and the Service first: the Deployment owns them, but a Service made by a
        // start that died before the owner was set must not leak.
        if configuration.exposure.mode == .ingress {
            try await api.delete("\(api.ingresses)/\(KubernetesNames.ingress(id))", what: "removing ingress \(id)")
        }
        try await api.delete("\(api.services)/\(KubernetesNames.service(id))", what: "removing service \(id)")
        try await api.delete("\(api.deployments)/\(KubernetesNames.deployment(id))", what: "removing deployment \(KubernetesNames.deployment(id))")
        if let (user, api) = try await home(of: id, deployment: deployment, api: api) {
            let claim = "\(api.claims)/\(KubernetesNames.homeClaim(user))"
            // The home is the user's, not the session's: keep it while another session uses it.
            var keep = !(request.deleteVolumes || configuration.deletePVC)
            if !keep {
                keep = try await !api.list(api.deployments, selector: "\(KubernetesNames.managedSelector),\(KubernetesNames.userLabel)=\(user)",
                                           what: "listing the deployments of user \(user)").items
                    .filter { $0["metadata"]?["labels"]?[KubernetesNames.sessionLabel]?.stringValue != id }.isEmpty
            }
            if keep {
                if try await api.patchLabels(claim, [KubernetesNames.homeSessionLabel(id): .null],
                                             what: "removing session \(id)'s label from PVC \(KubernetesNames.homeClaim(user))") == 403 {
                    roleLacksHomeLabels("patch", in: api.namespace)
                }
            } else {
                try await api.delete(claim, what: "removing PVC \(KubernetesNames.homeClaim(user))")
            }
        }
        reported.withLock { _ = $0.removeValue(forKey: id) }
        return SessionStatus(sessionId: id, state: .terminated)
    }

    /// The user whose home the session mounts and the client of its namespace, nil when it has
    /// none: from its Deployment (in `api`'s namespace), or, with the Deployment gone (deleted by
    /// hand, a start that died), from the home PVC that carries the session's label, in any
    /// allowed namespace.
    private func home(of id: String, deployment: JSONValue?, api: KubeAPI) async throws(DriverError) -> (user: String, api: KubeAPI)? {
        if let deployment {
            let volumes = deployment["spec"]?["template"]?["spec"]?["volumes"]?.arrayValue ?? []
            guard let user = deployment["metadata"]?["labels"]?[KubernetesNames.userLabel]?.stringValue,
                  volumes.contains(where: { $0["persistentVolumeClaim"]?["claimName"]?.stringValue == KubernetesNames.homeClaim(user) })
            else { return nil }
            return (user, api)
        }
        let selector = "\(KubernetesNames.managedSelector),\(KubernetesNames.homeLabel)=true,\(KubernetesNames.homeSessionLabel(id))"
        for api in try allowedAPIs() {
            let homes = try await api.call(.GET, api.claims, query: [("labelSelector", selector)], allowed: [403],
                                           what: "looking for the home PVC of session \(id) in namespace \(api.namespace)")
            if homes.status == 403 {
                roleLacksHomeLabels("list", in: api.namespace)
                continue
            }
            let user = try homes.json()["items"]?.arrayValue?.first?["metadata"]?["labels"]?[KubernetesNames.userLabel]?.stringValue
            if let user { return (user, api) }
        }
        return nil
    }

    /// A Role applied before the homes were labelled grants neither patch nor list on PVCs:
    /// sessions still start and stop, and only a stop whose Deployment is gone cannot find the
    /// home (it is kept). Said, with the fix, rather than failing the start or the stop.
    private func roleLacksHomeLabels(_ verb: String, in namespace: String) {
        host.log(.warning, "kubernetes: the agent's Role does not grant \(verb) on persistentvolumeclaims in namespace \(namespace), so a stop with deleteVolumes whose Deployment is gone cannot find the session's home; apply deploy/kubernetes/role.yaml there again")
    }

    func hibernate(_ id: String) async throws -> SessionStatus {
        try KubernetesNames.requireValidSession(id)
        guard let api = try await locate(id)?.api else { throw notFound(id) }
        try await api.scale(deployment: KubernetesNames.deployment(id), to: 0)
        return try await session(id)
    }

    func wake(_ id: String) async throws -> SessionStatus {
        try KubernetesNames.requireValidSession(id)
        guard let api = try await locate(id)?.api else { throw notFound(id) }
        try await api.scale(deployment: KubernetesNames.deployment(id), to: 1)
        return try await waitReady(id, api: api, service: try await publicService(id, api: api))
    }

    func session(_ id: String) async throws -> SessionStatus {
        try KubernetesNames.requireValidSession(id)
        guard let (api, deployment) = try await locate(id) else { throw notFound(id) }
        let pods = try await api.list(api.pods, selector: KubernetesNames.sessionSelector(id), what: "listing the pods of \(id)").items
        let service = try await publicService(id, api: api)
        return view(id, deployment: deployment, pods: pods.compactMap(PodState.init(pod:)), api: api, service: service)
    }

    func sessions() async throws -> [SessionStatus] {
        var statuses: [SessionStatus] = []
        for api in try allowedAPIs() {
            let deployments = try await api.list(api.deployments, selector: KubernetesNames.managedSelector,
                                                 what: "listing deployments in namespace \(api.namespace)").items
            let pods = try await api.list(api.pods, selector: KubernetesNames.managedSelector,
                                          what: "listing pods in namespace \(api.namespace)").items
                .compactMap(PodState.init(pod:))
            let podsBySession = Dictionary(grouping: pods.filter { $0.sessionID != nil }, by: { $0.sessionID! })
            let services = try await publicServices(api: api)
            for deployment in deployments {
                guard let id = deployment["metadata"]?["labels"]?[KubernetesNames.sessionLabel]?.stringValue,
                      SessionID.isValid(id) else { continue }
                statuses.append(view(id, deployment: deployment, pods: podsBySession[id] ?? [], api: api, service: services[id]))
            }
        }
        return statuses.sorted { $0.sessionId < $1.sessionId }
    }

    /// `service`: the session's Service as read, where NodePort and LoadBalancer addresses are.
    func view(_ id: String, deployment: JSONValue, pods: [PodState], api: KubeAPI, service: JSONValue? = nil) -> SessionStatus {
        let session = SessionView(sessionID: id, deployment: deployment, pods: pods, namespace: api.namespace)
        let publicURLs = configuration.exposure.publicURLs(sessionID: id, ports: session.ports, service: service,
                                                           nodeIP: session.pod?.hostIP)
        return session.status(publicURLs: publicURLs) { pod in
            switch self.configuration.endpointMode {
            case .podIP: pod.ip
            case .serviceDNS: "\(id).\(api.namespace).svc.\(self.configuration.clusterDomain)"
            }
        }
    }

    func notFound(_ id: String) -> DriverError {
        DriverError(.notFound, "kubernetes: no deployment for session \(id)")
    }
}
