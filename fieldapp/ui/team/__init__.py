"""The team-sync screens: team set-up and enrolment by fingerprint, sending
and collecting bundles, conflicts, progress against targets and consent withdrawals.

Everything here calls ``fieldapp.services.team`` / ``fieldapp.services.sync`` and the
Workspace's conflict methods through ``ctx.tasks``; nothing touches the database itself.
"""
