"""Clients of other systems: each turns transport failures into the service's OmsErrors."""
