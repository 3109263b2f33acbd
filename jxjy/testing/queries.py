"""How many SQL statements one request sends — for the tests that hold a page's query count flat as its data grows
(issue 17). A plain execute wrapper: nothing of Django's debug machinery involved."""

from django.db import connection


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def queries(client, url) -> int:
    """The statements a GET of `url` sends (the page must answer 200)."""
    counter = Counter()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count
