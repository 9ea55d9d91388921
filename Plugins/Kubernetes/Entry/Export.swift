import DriverABI
import DriverSDK
import KubernetesDriver

/// The driver's one exported symbol; the compiler checks it against streamspace_driver.h.
@c @implementation
public func streamspace_driver_entry_v1(
    _ negotiation: UnsafePointer<ssd_negotiation>!,
    _ api: UnsafeMutablePointer<UnsafePointer<ssd_driver_api>?>!
) -> ssd_status {
    DriverExport.entry(exportedDriverType, negotiation, api)
}
