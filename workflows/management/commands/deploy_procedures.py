from django.core.management.base import BaseCommand

from workflows.services import procedures_deploy_all


class Command(BaseCommand):
    help = ("Deploy the shipped diagrams and decision tables (bpmn/) of every procedure as a "
            "new version where they changed (after an upgrade); unchanged ones are kept. "
            "Running cases keep their version; a county's own versions are not touched.")

    def handle(self, *args, **options):
        for definition in procedures_deploy_all():
            self.stdout.write(f"{definition.key}：{definition.name} 第 {definition.version} 版")
