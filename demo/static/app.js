// Script of the loadrun demo shop: a static asset for resource-fetch tests.
document.documentElement.dataset.demo = "loadrun";
