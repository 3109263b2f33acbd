from django.shortcuts import render

from jxjy.accounts.models import Role

from .access import staff_required


@staff_required(Role.CITY, Role.FINANCE, Role.CONTENT)
def home(request):
    """业务后台: the modules of the signed-in role."""
    return render(request, "office/home.html", {"office_menu": "home"})
