from rest_framework import serializers


class EnterpriseLookupQuerySerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)


class EnterpriseLookupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    host = serializers.CharField()
    api_base_url = serializers.URLField()
    status = serializers.CharField()
