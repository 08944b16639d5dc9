"""Bundles (一件事) with K parallel departments: saved state size and time per completion.

    .venv/bin/python bench/bench_bundle.py [--k 5,20,50,100]

For each K, a diagram made for the run: a script builds K work items (one department each),
then a parallel multi-instance call activity runs the shipped bundles' department process
(``bundle_department_item``, taken from ``bpmn/after_death_bundle.bpmn`` as it is) once per
item, then the case ends. One case is started (``engine.services.case_start``) and its K
department tasks completed one by one through ``engine.services.task_complete`` by the demo's
police account (every item is routed to 公安). Printed per K: the saved state
(``Case.state``) after the start and at its largest, and the milliseconds of the first, the
median and the last completions; then how the figures grow from the smallest K to the
largest (linear would be K-fold; K² would be K²-fold).

Database: a throw-away SQLite file (``bench_engine.database_prepare``), migrated and seeded
with the demo organisation.
"""
import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_engine  # noqa: E402  (after the path set-up)

MAIN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="k_bench_definitions" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="k_bench" name="K部门联办测试" isExecutable="true">
    <bpmn:laneSet id="k_bench_lanes">
      <bpmn:lane id="lane_k_applicant" name="applicant">
        <bpmn:flowNodeRef>k_start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>k_plan</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>k_group</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>k_end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="k_start"/>
    <bpmn:sequenceFlow id="f_k_start" sourceRef="k_start" targetRef="k_plan"/>
    <bpmn:scriptTask id="k_plan" name="生成联办事项">
      <bpmn:script>k_work = [{{"department": "公安", "item": "item%d" % n, "item_name": "事项%d" % n, "due_days": 5}} for n in range({k})]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_k_plan" sourceRef="k_plan" targetRef="k_group"/>
    <bpmn:callActivity id="k_group" name="部门联办" calledElement="bundle_department_item">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>work_item = k_item</spiffworkflow:preScript>
        <spiffworkflow:postScript>k_outcome = outcome</spiffworkflow:postScript>
      </bpmn:extensionElements>
      <bpmn:property id="k_work" name="k_work"/>
      <bpmn:property id="k_results" name="k_results"/>
      <bpmn:multiInstanceLoopCharacteristics spiffworkflow:scriptsOnInstances="true">
        <bpmn:loopDataInputRef>k_work</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>k_results</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="k_item" name="k_item"/>
        <bpmn:outputDataItem id="k_outcome" name="k_outcome"/>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="f_k_group" sourceRef="k_group" targetRef="k_end"/>
    <bpmn:endEvent id="k_end"/>
  </bpmn:process>
{department_process}
</bpmn:definitions>
"""


def diagram(k: int) -> str:
    shipped = (ROOT / "bpmn" / "after_death_bundle.bpmn").read_text(encoding="utf-8")
    department = re.search(r'  <bpmn:process id="bundle_department_item".*?</bpmn:process>',
                           shipped, re.S).group(0)
    return MAIN.format(k=k, department_process=department)


def measure(k: int) -> dict:
    from django.contrib.auth import get_user_model

    from engine.models import Case, HumanTask, TaskStatus, Unit, UnitLevel
    from engine.services import case_start, definition_deploy, task_complete

    definition_deploy(key=f"k_bench_{k}", name=f"K={k}", bpmn_xml=diagram(k), dmn_xmls=[])
    village = Unit.objects.filter(level=UnitLevel.VILLAGE).order_by("pk").first()
    police = get_user_model().objects.get(username="wucheng_dept_police")
    staff = get_user_model().objects.get(username="wucheng_county_staff")
    started = time.perf_counter()
    case = case_start(procedure=f"k_bench_{k}", title="K部门联办测试", village=village,
                      applicant_name="张建国", data={}, started_by=staff)
    start_ms = (time.perf_counter() - started) * 1000
    sizes = [len(Case.objects.get(pk=case.pk).state)]
    times = []
    tasks = list(HumanTask.objects.filter(case=case, status=TaskStatus.OPEN).order_by("pk")
                 .values_list("pk", flat=True))
    assert len(tasks) == k, (len(tasks), k)
    for pk in tasks:
        started = time.perf_counter()
        task_complete(user=police, task_pk=pk, form_data={
            "department_result": "done", "reference_number": f"公-{pk}", "result_note": ""})
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(Case.objects.get(pk=case.pk).state))
    case.refresh_from_db()
    assert case.status == "completed", case.status
    assert len(case.data["k_results"]) == k
    return {"k": k, "start_ms": start_ms, "state_start": sizes[0], "state_max": max(sizes),
            "first": times[0], "median": statistics.median(times), "last": times[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", default="5,20,50,100")
    args = parser.parse_args()
    ks = [int(v) for v in args.k.split(",")]
    with tempfile.TemporaryDirectory(prefix="minzheng-bench-bundle-") as tmpdir:
        os.environ.pop("DATABASE_URL", None)
        database = bench_engine.database_prepare(tmpdir)
        bench_engine.django_setup()
        print(f"Setting up ({database}) ...", flush=True)
        bench_engine.database_seed()
        print(f"{'K':>4} {'start ms':>9} {'state at start':>15} {'state max':>10} "
              f"{'1st ms':>7} {'median ms':>10} {'last ms':>8}")
        rows = []
        for k in ks:
            row = measure(k)
            rows.append(row)
            print(f"{k:>4} {row['start_ms']:>9.0f} {row['state_start'] / 1024:>12.0f} KB "
                  f"{row['state_max'] / 1024:>7.0f} KB {row['first']:>7.0f} "
                  f"{row['median']:>10.0f} {row['last']:>8.0f}", flush=True)
        low, high = rows[0], rows[-1]
        factor = high["k"] / low["k"]
        print(f"K x{factor:.0f}: largest state x{high['state_max'] / low['state_max']:.1f}, "
              f"median completion x{high['median'] / low['median']:.1f} "
              f"(linear x{factor:.0f}, quadratic x{factor ** 2:.0f}); load average "
              f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
