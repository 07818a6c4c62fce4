"""C11: pages of the enterprise host anyone may see."""
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from consent.services import board as board_services


@never_cache
def employee_of_the_month(request):
    """C11: this month's board: the people chosen who consent to it now (no page cache: a
    withdrawal takes the person off at the next request)."""
    return render(request, "consent/board.html", {"names": board_services.shown_on_board()})
