"""Cost of one regulator report (X5): rendering the PDF of an incident with long Chinese texts and a
60-step timeline (incidents.report.render: the CJK font's subset is built and embedded each time).
Prints the median seconds over 10 renders and the file's size; no database work is timed.
"""
import statistics
import time
from datetime import timedelta

import _setup  # noqa: F401  (Django set up)
from django.utils import timezone

from incidents import report
from incidents.models import Incident, TimelineStep

ROUNDS = 10
TEXT = "一台备份服务器被错误地公开访问，员工的手机号、电子邮箱和部门信息可能已被第三方获取。" * 12


def main():
    now = timezone.now()
    incident = Incident(reference="INC-BENCH-1", kind=Incident.Kind.LEAKAGE, title="员工通讯录泄露", cause=TEXT,
                        possible_harm=TEXT, measures_taken=TEXT, advice=TEXT, remedies=TEXT,
                        contact="安全办公室 021-12345678", opened_at=now, affected_count=12000, reached_count=11890,
                        unreachable_count=110, guardians_told=3, announced_at=now)
    timeline = [TimelineStep(at=now + timedelta(minutes=index), step="counted", actor_label="system:incident_work",
                             note=f"第 {index} 步") for index in range(60)]
    seconds, size = [], 0
    for _ in range(ROUNDS):
        started = time.perf_counter()
        size = len(report.render(incident, enterprise_title="Acme Robotics", timeline=timeline, enterprises=[]))
        seconds.append(time.perf_counter() - started)
    print(f"pdf size: {size / 1024:.0f} KiB")
    print(f"incident_report_pdf={statistics.median(seconds):.3f} s")


if __name__ == "__main__":
    main()
