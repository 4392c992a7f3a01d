"""Traceability: products, shipment declarations, inspection and release, item-level trace codes
(GS1 Digital Link), EPCIS 2.0 events, and the scan a consumer makes."""
