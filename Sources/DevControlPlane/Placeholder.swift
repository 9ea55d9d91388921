// The dev control plane: see DevControlPlane.swift.
