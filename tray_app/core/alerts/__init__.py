"""The alert rules: previous state + one poll result + settings + now -> new state + alerts.

Pure and deterministic: the same inputs always give the same state and alerts, so a restart
(state saved with `AlertState.to_json` and read back with `AlertState.from_json`) changes
nothing. Every rule keeps the memory it needs in `AlertState`; that is what makes "never
repeat, never miss" hold across polls, errors, pauses and restarts.

The rules, exactly:

Thresholds
    The lines are `settings.thresholds` (percent of `totalAmount` or absolute credits, any
    number of them) plus "depleted" at 0. A line is crossed when `totalBalance < line`
    (depleted: `totalBalance <= 0`), the same comparison `levels.level_for` uses. Each line is
    either armed or fired. An armed line that the balance is below fires: it is marked fired
    and notified. Several lines firing in one poll give ONE notification, for the most severe
    (depleted, else the lowest line); the others are marked fired silently. A fired line
    re-arms only when the balance is back at or above `line + rearm_margin(totalAmount)`, where
    the margin is the larger of 1 % of `totalAmount` and 50 credits (one search), or at a reset.
    First poll ever: all lines start armed, so a balance already below a line is notified once:
    the user should know, and that single notice is never repeated afterwards. A line added in
    the settings while the balance is below it is notified once the same way. The kind is
    DEPLETED, CRITICAL (the lowest configured line, as `level_for` calls it critical) or LOW.

Reset (new subscription period)
    `resetAt` is the primary signal: it moved forward by at least an hour (`RESET_MIN_ADVANCE_MS`,
    which ignores jitter) compared with the period the state remembers, into a period not
    announced before. The last `PERIOD_MEMORY` periods seen are remembered (and saved), so a
    reset into one of them is adopted silently: replicas behind a load balancer that disagree
    (resetAt A, B, A, B...) give one "renewed", and the back-and-forth is noted in the state
    (`flap`, the pair of periods) for the monitor to log once. When there is no date to
    compare (the new `resetAt` is null, or no period is known yet), a subscription balance that
    rose to its full `subscriptionAmount` counts as a reset (a refill). A `resetAt` that moves
    back by an hour or more (a plan change) is adopted silently. A reset re-arms every threshold
    and starts new per-period flags; it is notified once ("Subscription credits renewed: 35,000
    available; next reset on 1 Dec"). A reset that happened while the app was not running is
    found at the next poll by comparing with the saved period, and reported once, however many
    periods were missed. The first poll ever only learns the period; it reports no reset.

Top-up / gift
    Outside a reset, `giftBalance` or `totalAmount` rose since the last balance. A rise of at
    least `TOP_UP_MIN_CREDITS` (50, one search) notifies at once. A smaller one must go above
    the highest level seen this period (`top_up_high`) and still be there at the next balance
    (it is then measured from that high). So a gift balance wobbling 50 <-> 40 between
    replicas never notifies; the price is that a small grant after gift credits were spent
    below an earlier high is not announced (the balance still shows it). One notification
    names the larger of the two rises.

Unusual spend
    The credits spent in the last hour (`last_hour_spend`, from the history, given by the
    monitor) compared with the user's usual hourly pace (the forecast's trimmed daily rate / 24,
    see forecast.py). It notifies when the hour's spend is at least `UNUSUAL_SPEND_FLOOR`
    (5,000 credits) and, when a pace is known (a day of history or more), at least
    `UNUSUAL_SPEND_FACTOR` (4) times that pace. The floor keeps a new account quiet; the factor
    makes "unusual" relative to the user. At most once per `UNUSUAL_SPEND_QUIET_S` (an hour),
    and not within the hour after the period changed (a renewal, a plan change, or resetAt
    going back and forth): that hour's samples mix two periods, so their drops are not spend.

Large spend (off by default)
    Outside a reset, `totalBalance` fell by at least `settings.large_spend` since the last
    balance (default 0: off): one notification naming the amount and since when. Failed polls
    in between do not count as polls: the drop is measured between balances.

Expiring soon
    `settings.expiring_hours` (default 48; 0 turns it off) or less before `resetAt` (and not
    after it), with subscription credits left: one notification per period.

Runway
    When the `Forecast` passed in says the balance reaches 0 before the reset (see
    `forecast.py` for how the pace is computed) and credits remain: one notification per period.

Key rejected
    The first AUTH_REJECTED of an episode notifies; further rejections are silent; the next
    balance ends the episode quietly (no "fixed" notification); a later rejection is a new one.

Offline
    OFFLINE, RATE_LIMITED and BAD_RESPONSE all mean "no fresh balance". An outage starts at the
    first such poll and ends at the next balance or AUTH_REJECTED (the server answered). Only an
    outage lasting `settings.offline_minutes` (default 60) notifies, once. A gap between two
    polls longer than `max(offline window, 3 h)` (the app was not running, the machine slept)
    restarts the outage clock, so waking up offline does not claim an outage nobody saw.
    When a notified outage ends with a balance, "updating again" is notified (it replaces the
    offline notification on screen, see notices.py).

Notifications off, pause
    The state always advances: crossings are marked fired, flags are set, periods move on.
    With `settings.notifications` False the alerts are dropped for good. While paused
    (`now < pause_until`) they are kept in the state instead, and when the pause ends (`resume`,
    or the first `evaluate` at or after `pause_until`) ONE summary notification lists them; they
    are never replayed one by one. Nothing is notified while paused. At most `MAX_SUPPRESSED`
    alerts are kept; more are only counted. A pause that ends while notifications are off
    ends without a summary.

One notification per poll, at most
    When several rules fire in one poll (or a pause ends with a summary), the most important
    alert is the headline (its title, kind, key and severity) and the others are folded into
    its body, each with its own key kept in `folded` (`Alert.parts()` gives them back, for
    the history and the tests). A fact several alerts may state, the balance left or the
    renewal date (`Fact`), is stated once: the headline's body states its facts, and each
    folded alert reads in the variant that leaves out the facts already stated before it
    (`Alert.tells` and `Alert.shorter`), so "Unusual spend: 25,000 credits in the last hour.
    5,050 left." folds a low-balance warning as "14% of 35,050 left, below your 20% warning."
    and not "5,050 credits left (14% of 35,050), ...". The fixed order of importance, most
    important first, is
    `IMPORTANCE`: used up, critically low, key rejected, unusual spend, low, large spend,
    runs out before the reset, expiring soon, not updating (offline), renewed, credits added,
    updating again, pause summary. Money at risk comes first, then what the user can act on,
    then news.

Each alert's `key` names the event once and for all: `threshold:<label>:period=<resetAt
ms>:t=<poll time>`, `reset:period=<ms>`, `expiring:period=<ms>`, `runway:period=<ms>`,
`top-up:t=<s>`, `unusual-spend:t=<s>`, `large-spend:t=<s>`, `key-rejected:since=<s>`,
`offline:since=<s>`, `online:t=<s>`, `pause-summary:t=<s>`.

Numbers are written with `fmt.credits` ("30,050") and dates with `fmt.short_date` in the `tz`
given (None means the local zone; tests pass UTC), texts and formats in the `lang` given
(English by default). An alert keeps the text it was made with: held alerts summarised after a
pause keep their titles as they were.

The package, by job: `model` (what an alert is: kinds, severities, facts, `Alert`, the tuning
constants), `state` (`AlertState` and its saved JSON), `detectors` (each rule's check of one
balance), `wording` (the translated titles and sentences of each alert), `rules` (one poll:
`evaluate`, `compose`, `pause`, `resume`). This `__init__` re-exports their public names
(`__all__`): alerts are one concept used from several layers (the monitor, the notices, the
tests), which then need not know how the package is divided.
"""

from tray_app.core.alerts.detectors import (
    is_below,
    rearm_margin,
    threshold_lines,
)
from tray_app.core.alerts.model import (
    DEPLETED_LABEL,
    IMPORTANCE,
    MAX_SUPPRESSED,
    PERIOD_MEMORY,
    RESET_MIN_ADVANCE_MS,
    STATE_VERSION,
    Alert,
    AlertKind,
    PollOutcome,
    Severity,
)
from tray_app.core.alerts.rules import compose, evaluate, evaluate_events, pause, resume
from tray_app.core.alerts.state import AlertState

__all__ = [
    "DEPLETED_LABEL",
    "IMPORTANCE",
    "MAX_SUPPRESSED",
    "PERIOD_MEMORY",
    "RESET_MIN_ADVANCE_MS",
    "STATE_VERSION",
    "Alert",
    "AlertKind",
    "AlertState",
    "PollOutcome",
    "Severity",
    "compose",
    "evaluate",
    "evaluate_events",
    "is_below",
    "pause",
    "rearm_margin",
    "resume",
    "threshold_lines",
]
