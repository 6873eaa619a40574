from tests.sla.conftest import Network, network

__all__ = ["Network", "network"]
