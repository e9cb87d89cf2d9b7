"""Aggregates of the centres' domain (ServiceRequest, Citizen, Centre, Queue, Staff, Catalog)."""
