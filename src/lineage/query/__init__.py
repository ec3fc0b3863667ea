"""Auditors' and privacy teams' questions over the store contract: trace, impact, show,
remediation plans, and resolving raw platform ids to node ids."""
