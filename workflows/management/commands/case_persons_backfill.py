from django.core.management.base import BaseCommand
from django.db import transaction

from engine.models import Case, CasePerson
from workflows.registry import procedure_list


class Command(BaseCommand):
    help = ("Record the household members of cases filed before persons were recorded "
            "(engine.persons), through each procedure's ``persons`` declaration, so duplicate "
            "checks see them. Idempotent: persons already recorded are kept.")

    def handle(self, *args, **options):
        added = 0
        for procedure in procedure_list():
            if procedure.persons is None:
                continue
            for case in Case.objects.filter(procedure=procedure.key).iterator():
                known = set(case.persons.values_list("id_number", flat=True))
                rows = [CasePerson(case=case, procedure=case.procedure, role="member",
                                   id_number=p["id_number"].strip().upper()[:18],
                                   name=str(p.get("name") or "")[:50],
                                   relation=str(p.get("relation") or "")[:20])
                        for p in procedure.persons(case.data)
                        if p.get("id_number") and p["id_number"].strip().upper() not in known]
                with transaction.atomic():
                    CasePerson.objects.bulk_create(rows, ignore_conflicts=True)
                added += len(rows)
        self.stdout.write(f"已补录家庭成员 {added} 人")
