"""One simulated Lensmor account: its balance story (spend, gift, reset), keys, rate limits,
queued faults and request log; and `SimulatedAccounts`, the named accounts one server serves."""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tray_app.core.balance import API_FIELDS, Number
from tray_app.core.fmt import mask_key
from tray_app.demo.faults import Fault
from tray_app.demo.json_fields import check_credits
from tray_app.demo.ratelimit import RateDecision, TokenBuckets

#: The key the simulated account accepts unless told otherwise. Not a secret: it only opens
#: this simulator.
DEMO_KEY = "uak_demo_0123456789abcdef"
DEFAULT_RATE_LIMIT = 120
DEFAULT_RATE_WINDOW_S = 60.0

_API_NAMES = tuple(api for api, _ in API_FIELDS)
_MS_PER_DAY = 86_400_000


class InsufficientCredits(ValueError):
    """A spend larger than the credits available; nothing was spent."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the API side received (control requests are not recorded).

    `headers` holds the names as the client sent them, Authorization included, so tests can
    check whether a key arrived; use `header()` for a case-insensitive lookup.
    """

    method: str
    path: str
    headers: dict[str, str]
    time: float
    client_port: int

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class SimulatedAccount:
    """The state behind the simulated API: balance, keys, rate limits, faults, request log.

    Every method is thread-safe (one lock). Totals follow their parts: spend/gift/reset and
    set_balance of a part recompute `totalAmount` and `totalBalance`; a total given explicitly
    to set_balance is stored as given (so tests can serve inconsistent bodies).
    """

    def __init__(
        self,
        *,
        total_subscription: int = 35_000,
        gift: int = 50,
        period_days: float = 30,
        valid_keys: Iterable[str] = (DEMO_KEY,),
        rate_limit: int = DEFAULT_RATE_LIMIT,
        rate_window_s: float = DEFAULT_RATE_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_credits(total_subscription)
        check_credits(gift)
        if not period_days > 0:
            raise ValueError("period_days must be > 0")
        self._lock = threading.Lock()
        self._clock = clock
        self._offset_s = 0.0
        self._period_ms = round(period_days * _MS_PER_DAY)
        self._fields: dict[str, Number | None] = {
            "subscriptionAmount": total_subscription,
            "subscriptionBalance": total_subscription,
            "giftAmount": gift,
            "giftBalance": gift,
            "resetAt": self._now_ms() + self._period_ms,
        }
        self._recompute_totals(amount=True, balance=True)
        self._keys = self._checked_keys(valid_keys)
        self._buckets = TokenBuckets(rate_limit, rate_window_s)
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []

    # -- clock -------------------------------------------------------------------------

    def now(self) -> float:
        """The account's time in Unix seconds: the injected clock plus any advance()."""
        with self._lock:
            return self._clock() + self._offset_s

    def advance(self, seconds: float) -> None:
        """Move this account's clock forward (rate-limit refills, resetAt arithmetic)."""
        if not seconds >= 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._offset_s += seconds

    def _now_ms(self) -> int:
        return round((self._clock() + self._offset_s) * 1000)

    # -- balance -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Number | None]:
        """The seven CreditBalance fields as the API would send them now."""
        with self._lock:
            return {name: self._fields[name] for name in _API_NAMES}

    def set_balance(self, **api_fields: Number | None) -> None:
        """Set any of the seven fields by API name (`resetAt` in ms, or None)."""
        for name, value in api_fields.items():
            if name not in _API_NAMES:
                raise ValueError(f"unknown field {name!r}; fields are {', '.join(_API_NAMES)}")
            if value is None and name == "resetAt":
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number")
        with self._lock:
            self._fields.update(api_fields)
            self._recompute_totals(
                amount="totalAmount" not in api_fields
                and bool({"subscriptionAmount", "giftAmount"} & api_fields.keys()),
                balance="totalBalance" not in api_fields
                and bool({"subscriptionBalance", "giftBalance"} & api_fields.keys()),
            )

    def spend(self, credits: int) -> None:
        """Spend subscription credits first, then gift credits (as the API documents).

        Raises InsufficientCredits, spending nothing, if fewer credits are available.
        """
        check_credits(credits)
        with self._lock:
            subscription = self._part("subscriptionBalance")
            gift = self._part("giftBalance")
            if credits > subscription + gift:
                raise InsufficientCredits(
                    f"cannot spend {credits}: only {subscription + gift} credits are available"
                )
            from_subscription = min(credits, subscription)
            self._fields["subscriptionBalance"] = subscription - from_subscription
            self._fields["giftBalance"] = gift - (credits - from_subscription)
            self._recompute_totals(amount=True, balance=True)

    def gift(self, credits: int) -> None:
        """A top-up or grant: raise giftAmount and giftBalance by `credits`."""
        check_credits(credits)
        with self._lock:
            self._fields["giftAmount"] = self._part("giftAmount") + credits
            self._fields["giftBalance"] = self._part("giftBalance") + credits
            self._recompute_totals(amount=True, balance=True)

    def reset(self) -> None:
        """Start a new subscription period.

        subscriptionBalance is refilled to subscriptionAmount and resetAt moves forward one
        period (further whole periods if it would still be in the past; from now when it was
        null). Gift credits are untouched: they do not expire.
        """
        with self._lock:
            self._fields["subscriptionBalance"] = self._part("subscriptionAmount")
            now_ms = self._now_ms()
            reset_at = self._fields["resetAt"]
            next_ms = now_ms + self._period_ms if reset_at is None else reset_at + self._period_ms
            while next_ms <= now_ms:
                next_ms += self._period_ms
            self._fields["resetAt"] = int(next_ms)
            self._recompute_totals(amount=True, balance=True)

    def _part(self, name: str) -> Number:
        value = self._fields[name]
        return 0 if value is None else value

    def _recompute_totals(self, *, amount: bool, balance: bool) -> None:
        if amount:
            self._fields["totalAmount"] = self._part("subscriptionAmount") + self._part(
                "giftAmount"
            )
        if balance:
            self._fields["totalBalance"] = self._part("subscriptionBalance") + self._part(
                "giftBalance"
            )

    # -- keys and rate limits ----------------------------------------------------------

    @staticmethod
    def _checked_keys(keys: Iterable[str]) -> tuple[str, ...]:
        checked = tuple(keys)
        if isinstance(keys, str) or not all(isinstance(k, str) and k for k in checked):
            raise ValueError("valid keys must be a list of non-empty strings")
        return checked

    def set_valid_keys(self, keys: Iterable[str]) -> None:
        """Replace the accepted keys (an empty list revokes every key)."""
        checked = self._checked_keys(keys)
        with self._lock:
            self._keys = checked

    def is_valid_key(self, key: str) -> bool:
        with self._lock:
            keys = self._keys
        # Compare every key in constant time, as a real server must.
        matches = [hmac.compare_digest(key.encode(), k.encode()) for k in keys]
        return any(matches)

    def set_rate_limit(self, limit: int, window_s: float) -> None:
        """`limit` requests per `window_s` per key; every bucket starts full again."""
        buckets = TokenBuckets(limit, window_s)
        with self._lock:
            self._buckets = buckets

    def take_token(self, key: str) -> RateDecision:
        """Count one API request for `key` against its bucket."""
        with self._lock:
            return self._buckets.take(key, self._clock() + self._offset_s)

    # -- faults ----------------------------------------------------------------------------

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Queue `fault` for the next `times` API requests (after any already queued)."""
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a whole number >= 1")
        with self._lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def next_fault(self) -> Fault | None:
        """Take the next queued fault, if any (called once per API request)."""
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # -- request log -----------------------------------------------------------------------

    def record(self, method: str, path: str, headers: Mapping[str, str], client_port: int) -> None:
        with self._lock:
            now = self._clock() + self._offset_s
            self._requests.append(RecordedRequest(method, path, dict(headers), now, client_port))

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the API requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def state(self) -> dict[str, Any]:
        """Everything the control API reports, JSON-ready (keys masked)."""
        with self._lock:
            return {
                "balance": {name: self._fields[name] for name in _API_NAMES},
                "rate_limit": {"limit": self._buckets.limit, "window_s": self._buckets.window_s},
                "valid_keys": [mask_key(k) for k in self._keys],
                "pending_faults": [f.to_json() for f in self._faults],
                "request_count": len(self._requests),
                "now": self._clock() + self._offset_s,
            }


#: The name of the account a single-account server serves (the app's default account too).
DEFAULT_ACCOUNT = "default"


class SimulatedAccounts(Mapping[str, SimulatedAccount]):
    """The named accounts one simulated server serves, in order; the first is the default.

    The set of accounts is fixed at construction (each account is mutable and thread-safe).
    An API request belongs to the account that accepts its key; a request without a key, or
    with a key no account accepts, belongs to the default account (which records it and whose
    queued faults answer it), exactly as when the server had a single account.
    """

    def __init__(self, accounts: Mapping[str, SimulatedAccount]) -> None:
        if not accounts:
            raise ValueError("a simulated server needs at least one account")
        for name in accounts:
            if not isinstance(name, str) or not name.strip() or "/" in name:
                raise ValueError(f"account name {name!r} must be non-empty text without '/'")
        self._accounts = dict(accounts)

    @classmethod
    def single(cls, account: SimulatedAccount) -> SimulatedAccounts:
        return cls({DEFAULT_ACCOUNT: account})

    def __getitem__(self, name: str) -> SimulatedAccount:
        return self._accounts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._accounts)

    def __len__(self) -> int:
        return len(self._accounts)

    @property
    def default(self) -> SimulatedAccount:
        return next(iter(self._accounts.values()))

    def for_key(self, key: str | None) -> SimulatedAccount:
        """The account that accepts `key` (the first, should two), else the default account."""
        if key:
            for account in self._accounts.values():
                if account.is_valid_key(key):
                    return account
        return self.default
