import DriverModel

/// Which connection the driver uses, in client-go's order: the config's `kubeconfig`, then
/// `KUBECONFIG`, then the pod's service account when running in a cluster, then
/// `~/.kube/config`. The namespace: the config's, else the context's (or the pod's), else
/// `streamspace`.
enum ConnectionSource {
    static func resolve(_ configuration: KubernetesConfiguration,
                        environment: [String: String]) throws(DriverError) -> (KubeConnection, namespace: String) {
        let connection = try find(configuration, environment: environment)
        let namespace = configuration.namespace ?? connection.namespace ?? KubernetesConfiguration.defaultNamespace
        guard KubernetesNames.isDNSLabel(namespace) else {
            throw DriverError(.invalidArgument, "kubernetes: namespace \"\(namespace)\" from \(connection.origin) is not a namespace name")
        }
        return (connection, namespace)
    }

    private static func find(_ configuration: KubernetesConfiguration,
                             environment: [String: String]) throws(DriverError) -> KubeConnection {
        if let path = configuration.kubeconfig {
            return try KubeConfig.load(paths: path).connection(context: configuration.context)
        }
        if let paths = environment["KUBECONFIG"], !paths.isEmpty {
            return try KubeConfig.load(paths: paths).connection(context: configuration.context)
        }
        if let inCluster = try InClusterConfig.connection(directory: configuration.serviceAccountDir, environment: environment) {
            if configuration.context != nil {
                throw DriverError(.invalidArgument, "kubernetes: \"context\" names a kubeconfig context, but no kubeconfig is given (in-cluster)")
            }
            return inCluster
        }
        if let home = environment["HOME"], !home.isEmpty, LocalFile.exists(home + "/.kube/config") {
            return try KubeConfig.load(paths: home + "/.kube/config").connection(context: configuration.context)
        }
        throw DriverError(.invalidArgument,
                          "kubernetes: no cluster to talk to: give the driver config \"kubeconfig\", set KUBECONFIG, or run the agent in a pod (KUBERNETES_SERVICE_HOST)")
    }
}
