# Locust's side of the scenario workload (bench/scenarios/flow.yaml): a
# login in on_start, then a templated request with two extractions and two
# checks, written as a Locust user would write them.
from locust import FastHttpUser, task, constant


class Shopper(FastHttpUser):
    wait_time = constant(0)
    n = 0

    def on_start(self):
        Shopper.n += 1
        self.user_id = Shopper.n
        self.sku = "start"
        r = self.client.post("/login", data={"username": "user%d" % self.user_id, "password": "secret"})
        self.token = r.json()["token"]

    @task
    def item(self):
        with self.client.get(
            "/items/%d?sku=%s" % (self.user_id, self.sku),
            name="/items/[id]",
            headers={"Authorization": "Bearer " + self.token},
            catch_response=True,
        ) as r:
            body = r.json()
            self.sku = body["name"]
            self.rid = r.headers.get("X-Request-Id")
            if r.status_code != 200:
                r.failure("status %d" % r.status_code)
            elif not body["price"] > 0:
                r.failure("price not > 0")
