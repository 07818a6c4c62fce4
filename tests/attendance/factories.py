"""Attendance rows made through the services, so each one passed the consent gate."""
from attendance import services as attendance_services

GPS = {"lat": 31.2304, "lng": 121.4737, "accuracy": 12}


def make_typed_check_in(person, place: str = "Head office"):
    return attendance_services.check_in(person=person, kind="in", place=place)


def make_located_check_in(person, location: dict = GPS):
    return attendance_services.check_in(person=person, kind="in", location=location)
