import time

from django.core.management.base import BaseCommand

from engine.notifications import deadline_sweep
from engine.outbox import outbox_sweep
from engine.services import timers_fire_due


class Command(BaseCommand):
    help = ("Fire due BPMN timers, hand pending documents/deliveries again (outbox) and send "
            "deadline reminders/escalations. With --loop, keep "
            "sweeping (the embedded demo's stand-in for Celery beat when no REDIS_URL is set).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--no-deadlines", action="store_true",
                            help="fire timers only, no deadline reminders/escalations")

    def handle(self, *args, loop=False, interval=30.0, no_deadlines=False, **options):
        while True:
            fired = timers_fire_due()
            if fired:
                self.stdout.write(f"fired timers of {fired} case(s)")
            handed = outbox_sweep()
            if any(handed.values()):
                self.stdout.write(f"outbox: {handed['documents']} document(s), "
                                  f"{handed['deliveries']} delivery(ies) handed again")
            if not no_deadlines:
                swept = deadline_sweep()
                if any(swept.values()):
                    self.stdout.write(f"deadlines: {swept['reminded']} reminder(s), "
                                      f"{swept['escalated']} escalation(s)")
            if not loop:
                return
            time.sleep(interval)
