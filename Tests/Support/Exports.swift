// The tests reach the process runner through this module, as before it had its own.
@_exported import ProcessKit
