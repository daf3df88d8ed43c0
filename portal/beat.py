"""One beat sends scheduled jobs at a time, however many are started (two by mistake, or one restarted while the
old one lingers): ``SingleBeatScheduler`` is django-celery-beat's ``DatabaseScheduler`` that sends only while it
holds the database lease ``celery-beat`` (``portal.leases.named_lease_hold``, renewed every few seconds and checked
again right before each send). A standby polls the lease; when the holder stops renewing it (killed) the standby
takes over after ``MESH_BEAT_LEASE_SECONDS`` and reads the schedule afresh.

Each send is written to the database at once (``last_run_at``), not every few minutes as the stock scheduler does,
so a beat that is killed and restarted, or a standby that takes over, does not send the same period's job again; and
the schedule in memory keeps the entry as sent, so a schedule change right after a send does not send it twice.
"""

import logging
import os
import socket
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from portal.leases import named_lease_hold, named_lease_release

logger = logging.getLogger(__name__)

BEAT_LEASE = "celery-beat"


class SingleBeatScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs):
        self.beat_owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._leading = False
        self._lease_checked_at = 0.0
        super().__init__(*args, **kwargs)

    @property
    def lease_seconds(self) -> float:
        return float(settings.MESH_BEAT_LEASE_SECONDS)

    def _hold(self, *, fresh: bool = False) -> bool:
        """Whether this beat holds the lease (renewing it at most every third of its length, or now if ``fresh``)."""
        if not fresh and self._leading and time.monotonic() - self._lease_checked_at < self.lease_seconds / 3:
            return True
        try:
            close_old_connections()
            holding = named_lease_hold(BEAT_LEASE, self.beat_owner, seconds=self.lease_seconds)
        except (DatabaseError, InterfaceError):
            logger.warning("beat: the database did not answer; not sending until it does", exc_info=True)
            holding = False
        self._lease_checked_at = time.monotonic()
        if holding and not self._leading:
            logger.info("beat %s: sending scheduled jobs (it holds the beat lease)", self.beat_owner)
            self._initial_read = True  # the schedule as the previous holder left it, with its last runs
            self._heap = None
        elif self._leading and not holding:
            logger.warning("beat %s: lost the beat lease; standing by", self.beat_owner)
        self._leading = holding
        return holding

    def tick(self, *args, **kwargs):
        if not self._hold():
            return min(self.lease_seconds / 3, self.max_interval)
        return super().tick(*args, **kwargs)

    def reserve(self, entry):
        # The stock scheduler keeps the entry with the old last_run_at in its schedule; when the heap is rebuilt
        # right after a send (a schedule change), that stale entry is due again and the job goes out twice.
        new_entry = super().reserve(entry)
        if self._schedule is not None and entry.name in self._schedule:
            self._schedule[entry.name] = new_entry
        return new_entry

    def apply_entry(self, entry, producer=None):
        if not self._hold(fresh=True):  # the lease might have passed on since the tick began
            self._dirty.discard(entry.name)  # reserved, not sent: the new holder's last run stands
            return
        super().apply_entry(entry, producer=producer)
        self.sync()  # last_run_at now, so neither a restart nor a standby sends this period again

    def close(self):
        try:
            if self._leading:
                named_lease_release(BEAT_LEASE, self.beat_owner)
        except (DatabaseError, InterfaceError):
            pass
        super().close()
