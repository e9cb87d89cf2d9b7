"""Working days as the sla projection counts them: the calendar's weekend and declared holidays.

Same convention as the domain's WorkingCalendar: ``between(a, b)`` counts the working days
``x`` with ``a < x <= b``. Before any calendar event, Friday and Saturday are the weekend.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from khidma.core.domain.calendar import FRIDAY, SATURDAY

_DAY = timedelta(days=1)


class Workdays:
    def __init__(
        self, weekend: Iterable[int] = (FRIDAY, SATURDAY), off: Iterable[date] = ()
    ) -> None:
        self.weekend = frozenset(weekend)
        self.off = frozenset(off)
        self._counted: dict[tuple[date, date], int] = {}  # the same few days come up again

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.off

    def between(self, a: date, b: date) -> int:
        try:
            return self._counted[(a, b)]
        except KeyError:
            pass
        if len(self._counted) >= 65_536:
            self._counted.clear()
        count = self._counted[(a, b)] = self._between(a, b)
        return count

    def _between(self, a: date, b: date) -> int:
        if b <= a:
            return -self._between(b, a) if b < a else 0
        whole_weeks, rest = divmod((b - a).days, 7)
        count = whole_weeks * (7 - len(self.weekend))
        day = a + timedelta(days=whole_weeks * 7)
        for _ in range(rest):
            day += _DAY
            if day.weekday() not in self.weekend:
                count += 1
        return count - sum(1 for d in self.off if a < d <= b and d.weekday() not in self.weekend)
