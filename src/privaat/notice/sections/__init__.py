"""One builder per part of the notice, each turning part of the policy into a Section."""
