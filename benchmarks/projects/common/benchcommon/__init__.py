"""What the three benchmark projects share: base settings, the bare view and the fixture identities.

Each system's project (``projects/<system>/benchproject``) adds only what that
system needs, so every difference in the measurements comes from the system.
"""
