import DriverSDK

/// The driver type the exported entry point registers (Entry/Export.swift, its own target): the
/// type stays internal, and this module links into tests without the C symbol.
package let exportedDriverType: any StreamSpaceDriver.Type = KubernetesDriver.self
