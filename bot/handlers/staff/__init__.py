"""The caseworkers' side: relay from case topics, card buttons, queue and reports, admin."""
