"""Several instances on one store: each chat (lane) is handled by one instance at a time.

Any instance may store an update (webhooks land anywhere). Each instance claims lanes that
have waiting updates and are free (or whose lease ran out: their instance died), feeds their
updates to its dispatcher in order, renews its leases while it works, and lets a lane go when
it has nothing left of it. So per-chat order holds across instances, and a dead instance's
chats are taken over within one lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time

from bot.delivery.inbox_worker import InboxDispatcher
from bot.delivery.settled import RecentlySettled
from bot.storage.errors import as_storage_error, storage_fault
from bot.storage.leases import LeaseRepo

log = logging.getLogger(__name__)

# A lease is renewed every third of its length; a dead instance's chats wait at most this.
LEASE_SECONDS = 15.0
# Without a wake-up (a local store, a notification), look for work this often: lanes whose
# instance died, and updates another instance stored without being able to notify.
IDLE_LOOK_SECONDS = 1.0


def instance_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LaneClaims:
    """Claims lanes for this instance and feeds their updates to the dispatcher.

    Every lease operation (claim, read, renew, release) happens in the one loop of `run`, so
    they never interleave: a lane is let go only when the dispatcher has nothing of it and a
    fresh read found nothing waiting, and a row is submitted only for a lane held now.
    """

    def __init__(
        self,
        leases: LeaseRepo,
        dispatcher: InboxDispatcher,
        owner: str | None = None,
        *,
        lease: float = LEASE_SECONDS,
        idle_look: float = IDLE_LOOK_SECONDS,
    ) -> None:
        self._leases = leases
        self._dispatcher = dispatcher
        self.owner = owner or instance_name()
        self._lease = lease
        self._idle_look = idle_look
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._held: set[str] = set()
        self._idle: set[str] = set()  # held lanes the dispatcher finished: release or refill
        self._last_renew = 0.0
        self.claimed = 0
        self._settled = dispatcher.settled = RecentlySettled()
        dispatcher.on_lane_idle = self._lane_idle

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    def wake(self) -> None:
        """Updates were stored (here, or another instance said so): look now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Until stopped; a fatal storage error ends it with a StorageError."""
        trouble = 0
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    await self.round()
                    trouble = 0
                except Exception as exc:
                    fault = storage_fault(exc)
                    if fault is None:
                        raise
                    if fault == "fatal":
                        raise as_storage_error(exc) from exc
                    if trouble == 0:
                        log.warning("lane claims: %s; trying again", as_storage_error(exc))
                    trouble += 1
                    await self._sleep(min(10.0, 0.2 * 2**trouble))
                    continue
                await self._sleep(self._idle_look)
        finally:
            with contextlib.suppress(Exception):
                await self._leases.release_all(self.owner)

    async def round(self) -> None:
        """Let finished lanes go (or refill them), claim free ones, renew what is held."""
        await self._settle_idle()
        now = time.time()
        lanes = await self._leases.claim_lanes(self.owner, now, self._lease)
        if lanes:
            self._held.update(lanes)
            await self._feed(lanes)
        if self._held and now - self._last_renew >= self._lease / 3:
            self._last_renew = now
            await self._leases.renew(self.owner, sorted(self._held), now + self._lease)

    async def _settle_idle(self) -> None:
        idle, self._idle = self._idle, set()
        idle = {lane for lane in idle if lane in self._held and not self._dispatcher.has_lane(lane)}
        if not idle:
            return
        refilled = await self._feed(sorted(idle))
        done = sorted(lane for lane in idle - refilled if not self._dispatcher.has_lane(lane))
        if done:
            self._held.difference_update(done)
            await self._leases.release(self.owner, done)

    async def _feed(self, lanes: list[str]) -> set[str]:
        """Submit the waiting updates of these held lanes; the lanes given some."""
        read = self._settled.begin_read()
        rows = await self._leases.pending_in(lanes)
        fed: set[str] = set()
        for row in rows:
            if row.lane in self._held and self._dispatcher.submit_once(row):
                fed.add(row.lane)
                self.claimed += 1
        self._settled.end_read(read)
        return fed

    async def _lane_idle(self, lane: str) -> None:
        """The dispatcher finished every update it had of this lane (its loop decides)."""
        if lane in self._held:
            self._idle.add(lane)
            self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
