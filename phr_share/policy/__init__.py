"""Pure routing rules: which store each segment goes to, given the patient's release choices."""

from phr_share.policy.routing import Route, RoutingPolicy, load_routing_policy

__all__ = ["Route", "RoutingPolicy", "load_routing_policy"]
