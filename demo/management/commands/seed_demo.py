import json

from django.core.management.base import BaseCommand

from demo.seeding import seed_demo


class Command(BaseCommand):
    help = "Create (or find again) the demo enterprise with departments, employees and logins."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")

    def handle(self, *args, **options):
        logins = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps(logins))
        else:
            for key, value in logins.items():
                self.stdout.write(f"{key}: {value}")
