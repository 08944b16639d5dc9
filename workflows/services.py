"""Glue between the portal's forms and the engine: deploy the shipped diagrams, file an
application, submit a task form."""
from django.conf import settings
from django.db import transaction

from engine import services as engine_services
from engine.errors import SetupIncomplete
from engine.models import Case, HumanTask, ProcessDefinition, Unit
from engine.notifications import configuration_error_report

from .common.fields import cleaned_to_json, split_uploads
from .registry import Procedure, procedure_list


def procedure_deploy_from_files(*, procedure: Procedure, deployed_by=None,
                                comment: str = "随产品发布") -> ProcessDefinition:
    """Deploy the diagram and tables shipped in bpmn/ (a no-op when unchanged)."""
    bpmn_dir = settings.BPMN_DIR
    bpmn_xml = (bpmn_dir / procedure.bpmn).read_text(encoding="utf-8")
    dmn_xmls = [(bpmn_dir / name).read_text(encoding="utf-8") for name in procedure.dmn]
    return engine_services.definition_deploy(
        key=procedure.key, name=procedure.name, bpmn_xml=bpmn_xml, dmn_xmls=dmn_xmls,
        deployed_by=deployed_by, comment=comment)


def procedures_deploy_all(*, deployed_by=None) -> list[ProcessDefinition]:
    return [procedure_deploy_from_files(procedure=p, deployed_by=deployed_by)
            for p in procedure_list()]


@transaction.atomic
def application_submit(*, procedure: Procedure, cleaned_data: dict, user, on_behalf: bool,
                       uploads: dict | None = None) -> Case:
    """File an application: by the applicant (``on_behalf=False``) or by village staff for
    someone (村委会代办, ``on_behalf=True``; the case then has no applicant account).
    ``uploads`` ({field: [files]}, see ``split_uploads``) are stored as the case's
    attachments."""
    cleaned_data = {k: v for k, v in cleaned_data.items() if k not in (uploads or {})}
    data = cleaned_to_json(cleaned_data)
    village: Unit = cleaned_data["village"]
    data["village_name"] = village.name
    data["township_name"] = village.parent.name if village.parent else ""
    data["filed_on_behalf"] = on_behalf
    if procedure.application_extra_data is not None:
        data.update(cleaned_to_json(procedure.application_extra_data(cleaned_data)))
    case = engine_services.case_start(
        procedure=procedure.key, title=procedure.case_title or procedure.name,
        village=village, applicant_name=cleaned_data["applicant_name"],
        applicant_id_number=cleaned_data.get("id_number", ""),
        applicant=None if on_behalf else user, data=data, started_by=user,
        persons=procedure.persons(cleaned_data) if procedure.persons else None)
    engine_services.attachments_add(case=case, task=None, uploads=uploads or {}, user=user)
    return case


def application_form_uploads(form) -> dict:
    return split_uploads(form)[1]


def task_submit(*, task: HumanTask, form, user) -> HumanTask:
    """Complete ``task`` with a valid form of the procedure; its uploads become the case's
    attachments in the same transaction. A refusal for incomplete setup (e.g. the issuing
    unit has no signing key) is also reported to the county's supervisors, after the
    rollback, whichever page or API call submitted it."""
    try:
        return _task_submit(task=task, form=form, user=user)
    except SetupIncomplete as exc:
        configuration_error_report(county=exc.county, where=exc.where, error=str(exc))
        raise


@transaction.atomic
def _task_submit(*, task: HumanTask, form, user) -> HumanTask:
    task = engine_services.task_complete(user=user, task_pk=task.pk,
                                         form_data=form.workflow_data())
    engine_services.attachments_add(case=task.case, task=task, uploads=form.uploads(),
                                    user=user)
    return task
