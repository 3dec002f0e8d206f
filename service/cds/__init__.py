"""CDS Hooks: the oms-screening service definition, its request, prefetch and cards."""
