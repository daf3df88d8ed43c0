"""Standards enforced: the rule engine and publish gate (``engine``), enforcement runs, violations, waivers and
compliance scores. A room of the governance app: its models keep the ``governance`` app label."""
